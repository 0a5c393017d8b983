package main

import (
	"strings"
	"testing"

	"github.com/landlordhq/landlord/token"
)

func TestTheBannerKeepsTheTokenOutOfLogs(t *testing.T) {
	tok, _, _ := token.New(token.RoleOperator)
	shown := bannerToken(tok) // go test's output is no terminal: as when make run is logged
	if strings.Contains(shown, tok) {
		t.Fatalf("the banner printed the whole token where it may be logged: %q", shown)
	}
	if !strings.HasPrefix(shown, token.Prefix(tok)) {
		t.Fatalf("the banner should still name the token by its prefix: %q", shown)
	}
}
