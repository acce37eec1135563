// Package awsclient builds the AWS clients a target needs from its
// configuration, the way the reference builds its boto3 clients: static
// keys, a named profile or the SDK default chain (environment, shared
// files, web identity, IMDS); an optional role assumed through STS;
// service_endpoint for S3 (path-style, for non-AWS endpoints) and for EC2;
// standard retries with 10 attempts; botocore's connect and read timeouts
// (60 s each unless the target sets them) on every client.
//
// Failures the runners report from AWS are *Error, in the categories the
// script told apart (credentials, profile, S3 query, endpoint, throttling,
// clock skew, SQS); core/exit picks the exit code.
package awsclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/wazuh/aws-s3-go/core/config"
)

// MaxAttempts is the reference's retry configuration (mode standard).
const MaxAttempts = 10

// RoleSessionName is the session name the reference gives AssumeRole.
const RoleSessionName = "WazuhLogParsing"

// ProfileError reports a configured profile that the shared files lack.
type ProfileError struct{ Profile string }

func (e *ProfileError) Error() string {
	return fmt.Sprintf("No profile named: '%s' was found in the user config file", e.Profile)
}

// Clients holds the SDK configuration of one target.
type Clients struct {
	t    config.Target
	base aws.Config // base credentials (keys, profile or default chain)
	cfg  aws.Config // base or assumed-role credentials
}

// New loads the configuration for t. It does not contact AWS: missing or
// invalid credentials surface at the first call, as with boto3.
func New(ctx context.Context, t config.Target) (*Clients, error) {
	opts := []func(*awsconfig.LoadOptions) error{
		awsconfig.WithRetryMaxAttempts(MaxAttempts),
		awsconfig.WithRetryMode(aws.RetryModeStandard),
		awsconfig.WithHTTPClient(httpClient(t.ConnectTimeout, t.ReadTimeout).WithTransportOptions(sizePool)),
		// S3-compatible servers (and older AWS SDKs' peers) reject or
		// mishandle the new default checksums; the reference never sent them.
		awsconfig.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		awsconfig.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if t.AccessKey != "" && t.SecretKey != "" {
		opts = append(opts, awsconfig.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(t.AccessKey.Reveal(), t.SecretKey.Reveal(), "")))
	}
	if t.Profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(t.Profile))
	}
	base, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		var pe awsconfig.SharedConfigProfileNotExistError
		if errors.As(err, &pe) {
			return nil, &ProfileError{Profile: t.Profile}
		}
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	base.HTTPClient = hookClient{withIdle(base.HTTPClient, t.ReadTimeout)}
	if base.Region == "" {
		// boto3 falls back to the global us-east-1 endpoint.
		base.Region = "us-east-1"
	}
	c := &Clients{t: t, base: base, cfg: base}
	if t.IAMRoleARN != "" {
		stsClient := sts.NewFromConfig(base, func(o *sts.Options) {
			if t.STSEndpoint != "" {
				o.BaseEndpoint = aws.String(t.STSEndpoint)
			}
		})
		prov := stscreds.NewAssumeRoleProvider(stsClient, t.IAMRoleARN, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = RoleSessionName
			if t.IAMRoleDuration > 0 {
				o.Duration = time.Duration(t.IAMRoleDuration) * time.Second
			}
			if t.ExternalID != "" && t.Kind == config.KindSubscriber {
				o.ExternalID = aws.String(t.ExternalID)
			}
		})
		c.cfg = base.Copy()
		c.cfg.Credentials = aws.NewCredentialsCache(prov)
	}
	return c, nil
}

// S3 returns an S3 client in region ("" = the configured region).
func (c *Clients) S3(region string) *s3.Client {
	return s3.NewFromConfig(c.cfg, func(o *s3.Options) {
		if region != "" {
			o.Region = region
		}
		if c.t.ServiceEndpoint != "" {
			o.BaseEndpoint = aws.String(c.t.ServiceEndpoint)
			o.UsePathStyle = true
		}
	})
}

// EC2 returns an EC2 client for region. The reference also sends EC2 calls
// to service_endpoint.
func (c *Clients) EC2(region string) *ec2.Client {
	return ec2.NewFromConfig(c.cfg, func(o *ec2.Options) {
		o.Region = region
		if c.t.ServiceEndpoint != "" {
			o.BaseEndpoint = aws.String(c.t.ServiceEndpoint)
		}
	})
}

// CallerAccount returns the account of the BASE credentials (never the
// assumed role, never sts_endpoint), which the reference stores as the
// account of custom-family tables.
func (c *Clients) CallerAccount(ctx context.Context) (string, error) {
	out, err := sts.NewFromConfig(c.base).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Account), nil
}

// S3ForBucket returns an S3 client in the bucket's own region. boto3
// follows the 301 redirect of the global endpoint by itself; the Go SDK
// does not, so the region is asked once with HeadBucket. With a custom
// endpoint the configured region is used as is.
func (c *Clients) S3ForBucket(ctx context.Context, bucket string) *s3.Client {
	cl := c.S3("")
	if c.t.ServiceEndpoint != "" {
		return cl
	}
	out, err := cl.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(bucket)})
	if err == nil && out.BucketRegion != nil && *out.BucketRegion != c.cfg.Region {
		return c.S3(*out.BucketRegion)
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil {
		if r := re.Response.Header.Get("X-Amz-Bucket-Region"); r != "" && r != c.cfg.Region {
			return c.S3(r)
		}
	}
	return cl
}
