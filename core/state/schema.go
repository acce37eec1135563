package state

import "github.com/wazuh/aws-s3-go/core/kind"

// Schema is one of the three table shapes the reference uses for bucket
// types (reference-wodle.md §2.3). Each type's entry in package kind names
// its table and schema; the statements of each schema are here.
type Schema = kind.Schema

const (
	// Region (schema R): cloudtrail, config. Rows are keyed by bucket path,
	// account, region and key.
	Region = kind.SchemaRegion
	// VPC (schema V): vpcflow. Schema R plus the flow-log id.
	VPC = kind.SchemaVPC
	// Custom (schema C): every other type. No region column: a group is
	// bucket path and account only.
	Custom = kind.SchemaCustom
)

// The statements below are the reference's strings without the leading
// newline+indentation and the trailing ";", i.e. exactly the text SQLite
// keeps in sqlite_master.sql after the Python script created the table.
// Keeping them byte-identical makes a DB created by either side
// indistinguishable from one created by the other.

const metadataDDL = "CREATE TABLE metadata (\n" +
	"                        key 'text' NOT NULL,\n" +
	"                        value 'text' NOT NULL,\n" +
	"                        PRIMARY KEY (key, value))"

const ind = "                " // 16 spaces, as in aws_bucket.py / vpcflow.py

// DDL returns the CREATE TABLE statement the reference executes for table
// name with schema s, as SQLite stores it.
func DDL(name string, s Schema) string {
	head := "CREATE TABLE " + name + " (\n" +
		ind + "bucket_path 'text' NOT NULL,\n" +
		ind + "aws_account_id 'text' NOT NULL,\n"
	tail := ind + "log_key 'text' NOT NULL,\n" +
		ind + "processed_date 'text' NOT NULL,\n" +
		ind + "created_date 'integer' NOT NULL,\n"
	switch s {
	case Region:
		return head + ind + "aws_region 'text' NOT NULL,\n" + tail +
			ind + "PRIMARY KEY (bucket_path, aws_account_id, aws_region, log_key))"
	case VPC:
		return head + ind + "aws_region 'text' NOT NULL,\n" +
			ind + "flow_log_id 'text' NOT NULL,\n" + tail +
			ind + "PRIMARY KEY (bucket_path, aws_account_id, aws_region, flow_log_id, log_key))"
	default:
		return head + tail +
			ind + "PRIMARY KEY (bucket_path, aws_account_id, log_key))"
	}
}

// where returns the WHERE conditions selecting one group, with the named
// parameters the statements bind (:b, :a, :r, :f).
func where(s Schema) string {
	switch s {
	case Region:
		return "bucket_path=:b AND aws_account_id=:a AND aws_region=:r"
	case VPC:
		return "bucket_path=:b AND aws_account_id=:a AND aws_region=:r AND flow_log_id=:f"
	default:
		return "bucket_path=:b AND aws_account_id=:a"
	}
}

// insert returns the reference's mark-complete INSERT for table name.
func insert(s Schema, name string) string {
	switch s {
	case Region:
		return "INSERT INTO " + name + " (bucket_path, aws_account_id, aws_region, log_key, processed_date, created_date) " +
			"VALUES (:b, :a, :r, :k, DATETIME('now'), :c)"
	case VPC:
		return "INSERT INTO " + name + " (bucket_path, aws_account_id, aws_region, flow_log_id, log_key, processed_date, created_date) " +
			"VALUES (:b, :a, :r, :f, :k, DATETIME('now'), :c)"
	default:
		return "INSERT INTO " + name + " (bucket_path, aws_account_id, log_key, processed_date, created_date) " +
			"VALUES (:b, :a, :k, DATETIME('now'), :c)"
	}
}
