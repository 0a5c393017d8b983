package lifecycle

// Usage is what a tenant holds of the limits that a smaller plan can break.
type Usage struct {
	Companies          int
	Users              int
	MaxUsersInACompany int
}

// Limits are a plan's limits on what a tenant holds; MaxTotalUsers nil is none.
type Limits struct {
	MaxCompanies       int
	MaxUsersPerCompany int
	MaxTotalUsers      *int
}

// Violation is one limit a tenant's usage is over.
type Violation struct {
	Limit   string `json:"limit"`
	Used    int    `json:"used"`
	Allowed int    `json:"allowed"`
}

// Violations lists every limit u is over; none means the usage fits.
func Violations(u Usage, l Limits) []Violation {
	var v []Violation
	check := func(limit string, used, allowed int) {
		if used > allowed {
			v = append(v, Violation{Limit: limit, Used: used, Allowed: allowed})
		}
	}
	check("max_companies", u.Companies, l.MaxCompanies)
	check("max_users_per_company", u.MaxUsersInACompany, l.MaxUsersPerCompany)
	if l.MaxTotalUsers != nil {
		check("max_total_users", u.Users, *l.MaxTotalUsers)
	}
	return v
}

// RenewalPlan is the plan a period starts on: the pending one when the
// tenant's usage fits it, else the current one (the tenant keeps its data and
// is told why), so no renewal ever ends with a tenant over a limit.
func RenewalPlan(current, pending string, over []Violation) (plan string, applied bool) {
	if pending == "" || len(over) > 0 {
		return current, false
	}
	return pending, true
}
