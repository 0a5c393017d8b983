package secrets

import (
	"bytes"
	"testing"
)

func TestBoxRoundTripAndTamper(t *testing.T) {
	box, err := NewBox([32]byte{1})
	if err != nil {
		t.Fatal(err)
	}
	sealed := box.Seal([]byte("s3cret"))
	if bytes.Contains(sealed, []byte("s3cret")) {
		t.Fatal("sealed output contains the plaintext")
	}
	got, err := box.Open(sealed)
	if err != nil || string(got) != "s3cret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := box.Open(sealed); err == nil {
		t.Fatal("Open accepted altered data")
	}
	other, _ := NewBox([32]byte{2})
	if _, err := other.Open(box.Seal([]byte("x"))); err == nil {
		t.Fatal("Open accepted data sealed under another key")
	}
}
