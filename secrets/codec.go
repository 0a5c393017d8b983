package secrets

import (
	"errors"
	"fmt"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/proto"
)

const (
	encodingEncrypted = "binary/encrypted"
	metadataEncoding  = "encoding"
	metadataKeyID     = "encryption-key-id"
	keyID             = "landlord-secret-key"
)

// DataConverter encrypts every workflow and activity payload (inputs, results,
// queries, signals, schedule arguments) with the Box before it reaches the
// Temporal server, so emails and phone numbers are not readable in histories.
// It reads sealed payloads only: a payload written without landlord's key
// (a workflow someone else started, with whatever input) is refused, so its
// workflow never runs a step.
func DataConverter(box *Box) converter.DataConverter {
	return converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), Codec(box))
}

type payloadCodec struct{ box *Box }

// Encode seals each payload, metadata included.
func (c *payloadCodec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		raw, err := proto.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("encode payload: %w", err)
		}
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{metadataEncoding: []byte(encodingEncrypted), metadataKeyID: []byte(keyID)},
			Data:     c.box.Seal(raw),
		}
	}
	return out, nil
}

// ErrUnsealed is a payload that was not sealed with landlord's key.
var ErrUnsealed = errors.New("payload is not sealed with landlord's key: refused")

// Decode opens sealed payloads and refuses any other.
func (c *payloadCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[metadataEncoding]) != encodingEncrypted {
			return nil, ErrUnsealed
		}
		raw, err := c.box.Open(p.GetData())
		if err != nil {
			return nil, fmt.Errorf("decode payload: %w", err)
		}
		var plain commonpb.Payload
		if err := proto.Unmarshal(raw, &plain); err != nil {
			return nil, fmt.Errorf("decode payload: %w", err)
		}
		out[i] = &plain
	}
	return out, nil
}

// Codec is the payload codec alone, for tools that seal or open payloads
// outside a client (recorded histories, a codec server).
func Codec(box *Box) converter.PayloadCodec { return &payloadCodec{box: box} }

// ReadingCodec is Codec for reading histories (a codec endpoint for
// Temporal's Web UI and CLI): it also passes through payloads that are not
// sealed, which a worker refuses, so a history with one still shows the rest.
func ReadingCodec(box *Box) converter.PayloadCodec { return &readingCodec{payloadCodec{box: box}} }

type readingCodec struct{ payloadCodec }

func (c *readingCodec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		out[i] = p
		if string(p.GetMetadata()[metadataEncoding]) == encodingEncrypted {
			opened, err := c.payloadCodec.Decode([]*commonpb.Payload{p})
			if err != nil {
				return nil, err
			}
			out[i] = opened[0]
		}
	}
	return out, nil
}
