package secrets

import (
	"bytes"
	"errors"
	"testing"

	"go.temporal.io/sdk/converter"
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

func TestDataConverterHidesPayloadsAndReadsThemBack(t *testing.T) {
	box, _ := NewBox([32]byte{7})
	dc := DataConverter(box)
	p, err := dc.ToPayload(map[string]string{"admin_email": "ana@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(p.GetData(), []byte("ana@example.com")) {
		t.Fatal("the payload carries the email in clear")
	}
	var back map[string]string
	if err := dc.FromPayload(p, &back); err != nil || back["admin_email"] != "ana@example.com" {
		t.Fatalf("FromPayload = %v, %v", back, err)
	}
	other, _ := NewBox([32]byte{8})
	if err := DataConverter(other).FromPayload(p, &back); err == nil {
		t.Fatal("another key read the payload")
	}
	plain, _ := converter.GetDefaultDataConverter().ToPayload(map[string]string{"actor": "operator:forged"})
	if err := dc.FromPayload(plain, &back); !errors.Is(err, ErrUnsealed) {
		t.Fatalf("an unsealed payload was read: %v", err)
	}
}
