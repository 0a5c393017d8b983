// Package migrations embeds the platform migrations and the tenant template schema.
package migrations

import "embed"

// Platform holds the goose migrations of the platform database, under platform/.
//
//go:embed platform/*.sql
var Platform embed.FS

// Tenant holds the schema every tenant database is cloned from, under tenant/.
//
//go:embed tenant/*.sql
var Tenant embed.FS
