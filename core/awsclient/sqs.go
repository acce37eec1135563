package awsclient

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// SQS returns an SQS client with the target's credentials (the assumed
// role when one is configured). The reference never sends SQS calls to
// service_endpoint (that endpoint is S3's, often an S3 VPC endpoint), so
// endpoint is separate: "" keeps the SDK's resolution, which honours
// AWS_ENDPOINT_URL_SQS and the shared config's services sections.
func (c *Clients) SQS(endpoint string) *sqs.Client {
	return sqs.NewFromConfig(c.cfg, func(o *sqs.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}
