package backup

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is a Store in an S3-compatible bucket. An object appears only once its
// upload completed; its SHA-256 travels in its metadata.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
}

// S3Config says where the bucket is.
type S3Config struct {
	Endpoint  string // URL of the S3 API, e.g. https://s3.eu-west-1.amazonaws.com
	Region    string
	Bucket    string
	Prefix    string // optional folder within the bucket
	AccessKey string
	SecretKey string
}

// NewS3 connects to the bucket and checks that it exists.
func NewS3(ctx context.Context, c S3Config) (*S3, error) {
	u, err := url.Parse(c.Endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("the S3 endpoint %q must be an http(s) URL", c.Endpoint)
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:  credentials.NewStaticV4(c.AccessKey, c.SecretKey, ""),
		Secure: u.Scheme == "https",
		Region: c.Region,
	})
	if err != nil {
		return nil, fmt.Errorf("S3 client: %w", err)
	}
	ok, err := client.BucketExists(ctx, c.Bucket)
	if err != nil {
		return nil, fmt.Errorf("reach S3 bucket %s: %w", c.Bucket, err)
	}
	if !ok {
		return nil, fmt.Errorf("S3 bucket %s does not exist", c.Bucket)
	}
	return &S3{client: client, bucket: c.Bucket, prefix: strings.Trim(c.Prefix, "/")}, nil
}

func (s *S3) object(key string) string {
	if s.prefix == "" {
		return key
	}
	return s.prefix + "/" + key
}

func (s *S3) location(key string) string { return "s3://" + s.bucket + "/" + s.object(key) }

const shaMeta = "Sha256"

// Put uploads the dump with its SHA-256 in the object's metadata.
func (s *S3) Put(ctx context.Context, key, path string, size int64, sum string) (Object, error) {
	_, err := s.client.FPutObject(ctx, s.bucket, s.object(key), path, minio.PutObjectOptions{
		ContentType: "application/octet-stream", UserMetadata: map[string]string{shaMeta: sum},
	})
	if err != nil {
		return Object{}, fmt.Errorf("upload backup %s: %w", s.location(key), err)
	}
	return Object{Location: s.location(key), SizeBytes: size, SHA256: sum}, nil
}

// Get reads the object's size and SHA-256 from its metadata.
func (s *S3) Get(ctx context.Context, key string) (Object, error) {
	info, err := s.client.StatObject(ctx, s.bucket, s.object(key), minio.StatObjectOptions{})
	if minio.ToErrorResponse(err).Code == "NoSuchKey" {
		return Object{}, ErrNotFound
	}
	if err != nil {
		return Object{}, fmt.Errorf("look up backup %s: %w", s.location(key), err)
	}
	return Object{Location: s.location(key), SizeBytes: info.Size, SHA256: info.UserMetadata[shaMeta]}, nil
}
