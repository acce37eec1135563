package awsclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/inspector2"
)

// Logs returns a CloudWatch Logs client for region. The reference sends
// service calls to service_endpoint when it is set.
func (c *Clients) Logs(region string) *cloudwatchlogs.Client {
	return cloudwatchlogs.NewFromConfig(c.cfg, func(o *cloudwatchlogs.Options) {
		o.Region = region
		if c.t.ServiceEndpoint != "" {
			o.BaseEndpoint = aws.String(c.t.ServiceEndpoint)
		}
	})
}

// Inspector2 returns an Inspector v2 client for region, with
// service_endpoint as for Logs.
func (c *Clients) Inspector2(region string) *inspector2.Client {
	return inspector2.NewFromConfig(c.cfg, func(o *inspector2.Options) {
		o.Region = region
		if c.t.ServiceEndpoint != "" {
			o.BaseEndpoint = aws.String(c.t.ServiceEndpoint)
		}
	})
}

// Retrieve obtains the credentials the service clients will sign with,
// assuming the role if one is configured. The reference assumes the role
// when it builds a client (exit 3 on failure); the SDK would otherwise do
// it at the first call, where the failure is hard to tell from a refusal
// of that call.
func (c *Clients) Retrieve(ctx context.Context) error {
	if c.cfg.Credentials == nil {
		return nil
	}
	_, err := c.cfg.Credentials.Retrieve(ctx)
	return err
}
