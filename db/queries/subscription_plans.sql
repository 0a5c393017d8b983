-- name: PlanList :many
SELECT * FROM subscription_plans WHERE is_active ORDER BY sort_order, plan_code;

-- name: PlanGet :one
SELECT * FROM subscription_plans WHERE plan_code = $1;
