package bops

import (
	"encoding/xml"
	"fmt"
	"time"
)

// The S3 Control REST-XML shapes the emulator reads and writes. Element names
// are those of the aws-sdk-go-v2 service/s3control v1.71.1 serializers and
// deserializers (lists are <member> elements, maps <entry><key/><value/>).
// Request shapes are echoed back by DescribeJob, so every field a client can
// send round-trips; pointers tell "absent" from "empty".

const controlNS = "http://awss3control.amazonaws.com/doc/2018-08-20/"

// isoTime is an S3 Control timestamp: ISO 8601 in UTC with milliseconds.
type isoTime struct{ time.Time }

func (t isoTime) MarshalText() ([]byte, error) {
	return []byte(t.UTC().Format("2006-01-02T15:04:05.000Z")), nil
}

func (t *isoTime) UnmarshalText(b []byte) error {
	v, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return fmt.Errorf("timestamp %q: %w", b, err)
	}
	t.Time = v
	return nil
}

func newISOTime(t time.Time) *isoTime { return &isoTime{t} }

func timeOf(t *isoTime) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}

type createJobRequest struct {
	XMLName              xml.Name           `xml:"CreateJobRequest"`
	ClientRequestToken   *string            `xml:"ClientRequestToken"`
	ConfirmationRequired *bool              `xml:"ConfirmationRequired"`
	Description          *string            `xml:"Description"`
	Manifest             *jobManifest       `xml:"Manifest"`
	ManifestGenerator    *manifestGenerator `xml:"ManifestGenerator"`
	Operation            *jobOperation      `xml:"Operation"`
	Priority             *int64             `xml:"Priority"`
	Report               *jobReport         `xml:"Report"`
	RoleArn              *string            `xml:"RoleArn"`
	Tags                 *tagSet            `xml:"Tags"`
}

type tagSet struct {
	Members []s3Tag `xml:"member"`
}

type s3Tag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type jobManifest struct {
	Spec     *manifestSpec     `xml:"Spec,omitempty"`
	Location *manifestLocation `xml:"Location,omitempty"`
}

type manifestSpec struct {
	Fields *stringList `xml:"Fields,omitempty"`
	Format string      `xml:"Format"`
}

type stringList struct {
	Members []string `xml:"member"`
}

func (l *stringList) values() []string {
	if l == nil {
		return nil
	}
	return l.Members
}

type manifestLocation struct {
	ETag            *string `xml:"ETag,omitempty"`
	ObjectArn       *string `xml:"ObjectArn,omitempty"`
	ObjectVersionId *string `xml:"ObjectVersionId,omitempty"`
}

type jobReport struct {
	Bucket              *string `xml:"Bucket,omitempty"`
	Enabled             *bool   `xml:"Enabled"`
	ExpectedBucketOwner *string `xml:"ExpectedBucketOwner,omitempty"`
	Format              *string `xml:"Format,omitempty"`
	Prefix              *string `xml:"Prefix,omitempty"`
	ReportScope         *string `xml:"ReportScope,omitempty"`
}

// jobOperation is the JobOperation structure. Exactly one member must be
// set; other is every child element the emulator does not run (the other
// AWS operations and names AWS does not know), kept for the validation.
type jobOperation struct {
	S3PutObjectCopy   *copyOperation `xml:"S3PutObjectCopy,omitempty"`
	S3ReplicateObject *emptyElement  `xml:"S3ReplicateObject,omitempty"`
	other             []string
}

type emptyElement struct{}

func (o *jobOperation) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	for {
		tok, err := d.Token()
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "S3PutObjectCopy":
				o.S3PutObjectCopy = &copyOperation{}
				err = d.DecodeElement(o.S3PutObjectCopy, &t)
			case "S3ReplicateObject":
				o.S3ReplicateObject = &emptyElement{}
				err = d.Skip()
			default:
				o.other = append(o.other, t.Name.Local)
				err = d.Skip()
			}
			if err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// names lists the operations present, in document order of kinds.
func (o *jobOperation) names() []string {
	var n []string
	if o.S3PutObjectCopy != nil {
		n = append(n, "S3PutObjectCopy")
	}
	if o.S3ReplicateObject != nil {
		n = append(n, "S3ReplicateObject")
	}
	return append(n, o.other...)
}

type copyOperation struct {
	AccessControlGrants       *grantList       `xml:"AccessControlGrants,omitempty"`
	BucketKeyEnabled          *bool            `xml:"BucketKeyEnabled,omitempty"`
	CannedAccessControlList   *string          `xml:"CannedAccessControlList,omitempty"`
	ChecksumAlgorithm         *string          `xml:"ChecksumAlgorithm,omitempty"`
	MetadataDirective         *string          `xml:"MetadataDirective,omitempty"`
	ModifiedSinceConstraint   *isoTime         `xml:"ModifiedSinceConstraint,omitempty"`
	NewObjectMetadata         *objectMetadata  `xml:"NewObjectMetadata,omitempty"`
	NewObjectTagging          *tagSet          `xml:"NewObjectTagging,omitempty"`
	ObjectLockLegalHoldStatus *string          `xml:"ObjectLockLegalHoldStatus,omitempty"`
	ObjectLockMode            *string          `xml:"ObjectLockMode,omitempty"`
	ObjectLockRetainUntilDate *isoTime         `xml:"ObjectLockRetainUntilDate,omitempty"`
	RedirectLocation          *string          `xml:"RedirectLocation,omitempty"`
	RequesterPays             *bool            `xml:"RequesterPays,omitempty"`
	SSEAwsKmsKeyId            *string          `xml:"SSEAwsKmsKeyId,omitempty"`
	StorageClass              *string          `xml:"StorageClass,omitempty"`
	TargetKeyPrefix           *string          `xml:"TargetKeyPrefix,omitempty"`
	TargetResource            *string          `xml:"TargetResource,omitempty"`
	UnModifiedSinceConstraint *isoTime         `xml:"UnModifiedSinceConstraint,omitempty"`
	Extra                     []unknownElement `xml:",any"`
}

// unknownElement keeps an element the emulator does not model, so
// validation can refuse it instead of silently dropping it.
type unknownElement struct {
	XMLName xml.Name
}

type grantList struct {
	Members []grant `xml:"member"`
}

type grant struct {
	Grantee *struct {
		DisplayName    *string `xml:"DisplayName,omitempty"`
		Identifier     *string `xml:"Identifier,omitempty"`
		TypeIdentifier *string `xml:"TypeIdentifier,omitempty"`
	} `xml:"Grantee,omitempty"`
	Permission *string `xml:"Permission,omitempty"`
}

type objectMetadata struct {
	CacheControl       *string          `xml:"CacheControl,omitempty"`
	ContentDisposition *string          `xml:"ContentDisposition,omitempty"`
	ContentEncoding    *string          `xml:"ContentEncoding,omitempty"`
	ContentLanguage    *string          `xml:"ContentLanguage,omitempty"`
	ContentLength      *int64           `xml:"ContentLength,omitempty"`
	ContentMD5         *string          `xml:"ContentMD5,omitempty"`
	ContentType        *string          `xml:"ContentType,omitempty"`
	HttpExpiresDate    *isoTime         `xml:"HttpExpiresDate,omitempty"`
	RequesterCharged   *bool            `xml:"RequesterCharged,omitempty"`
	SSEAlgorithm       *string          `xml:"SSEAlgorithm,omitempty"`
	UserMetadata       *entryMap        `xml:"UserMetadata,omitempty"`
	Extra              []unknownElement `xml:",any"`
}

type entryMap struct {
	Entries []mapEntry `xml:"entry"`
}

type mapEntry struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

// manifestGenerator is the JobManifestGenerator union.
type manifestGenerator struct {
	S3JobManifestGenerator *s3ManifestGenerator `xml:"S3JobManifestGenerator,omitempty"`
	Extra                  []unknownElement     `xml:",any"`
}

type s3ManifestGenerator struct {
	EnableManifestOutput   *bool              `xml:"EnableManifestOutput"`
	ExpectedBucketOwner    *string            `xml:"ExpectedBucketOwner,omitempty"`
	Filter                 *generatorFilter   `xml:"Filter,omitempty"`
	ManifestOutputLocation *manifestOutputLoc `xml:"ManifestOutputLocation,omitempty"`
	SourceBucket           *string            `xml:"SourceBucket,omitempty"`
}

type generatorFilter struct {
	CreatedAfter               *isoTime           `xml:"CreatedAfter,omitempty"`
	CreatedBefore              *isoTime           `xml:"CreatedBefore,omitempty"`
	EligibleForReplication     *bool              `xml:"EligibleForReplication,omitempty"`
	KeyNameConstraint          *keyNameConstraint `xml:"KeyNameConstraint,omitempty"`
	MatchAnyObjectEncryption   *anyList           `xml:"MatchAnyObjectEncryption,omitempty"`
	MatchAnyStorageClass       *stringList        `xml:"MatchAnyStorageClass,omitempty"`
	ObjectReplicationStatuses  *stringList        `xml:"ObjectReplicationStatuses,omitempty"`
	ObjectSizeGreaterThanBytes *int64             `xml:"ObjectSizeGreaterThanBytes,omitempty"`
	ObjectSizeLessThanBytes    *int64             `xml:"ObjectSizeLessThanBytes,omitempty"`
}

// anyList is a list whose members the emulator does not interpret.
type anyList struct {
	Inner []byte `xml:",innerxml"`
}

type keyNameConstraint struct {
	MatchAnyPrefix    *stringList `xml:"MatchAnyPrefix,omitempty"`
	MatchAnySubstring *stringList `xml:"MatchAnySubstring,omitempty"`
	MatchAnySuffix    *stringList `xml:"MatchAnySuffix,omitempty"`
}

type manifestOutputLoc struct {
	Bucket                      *string  `xml:"Bucket,omitempty"`
	ExpectedManifestBucketOwner *string  `xml:"ExpectedManifestBucketOwner,omitempty"`
	ManifestEncryption          *anyList `xml:"ManifestEncryption,omitempty"`
	ManifestFormat              *string  `xml:"ManifestFormat,omitempty"`
	ManifestPrefix              *string  `xml:"ManifestPrefix,omitempty"`
}

// Responses.

type createJobResult struct {
	XMLName xml.Name `xml:"CreateJobResult"`
	NS      string   `xml:"xmlns,attr"`
	JobId   string   `xml:"JobId"`
}

type describeJobResult struct {
	XMLName xml.Name      `xml:"DescribeJobResult"`
	NS      string        `xml:"xmlns,attr"`
	Job     jobDescriptor `xml:"Job"`
}

type jobDescriptor struct {
	ConfirmationRequired        bool                 `xml:"ConfirmationRequired"`
	CreationTime                isoTime              `xml:"CreationTime"`
	Description                 *string              `xml:"Description,omitempty"`
	FailureReasons              *failureList         `xml:"FailureReasons,omitempty"`
	GeneratedManifestDescriptor *generatedDescriptor `xml:"GeneratedManifestDescriptor,omitempty"`
	JobArn                      string               `xml:"JobArn"`
	JobId                       string               `xml:"JobId"`
	Manifest                    *jobManifest         `xml:"Manifest,omitempty"`
	ManifestGenerator           *manifestGenerator   `xml:"ManifestGenerator,omitempty"`
	Operation                   *jobOperation        `xml:"Operation,omitempty"`
	Priority                    int64                `xml:"Priority"`
	ProgressSummary             *progressSummary     `xml:"ProgressSummary,omitempty"`
	Report                      *jobReport           `xml:"Report,omitempty"`
	RoleArn                     string               `xml:"RoleArn"`
	Status                      string               `xml:"Status"`
	StatusUpdateReason          *string              `xml:"StatusUpdateReason,omitempty"`
	SuspendedCause              *string              `xml:"SuspendedCause,omitempty"`
	SuspendedDate               *isoTime             `xml:"SuspendedDate,omitempty"`
	TerminationDate             *isoTime             `xml:"TerminationDate,omitempty"`
}

type failureList struct {
	Members []jobFailure `xml:"member"`
}

type jobFailure struct {
	FailureCode   string `xml:"FailureCode"`
	FailureReason string `xml:"FailureReason"`
}

type generatedDescriptor struct {
	Format   string           `xml:"Format"`
	Location manifestLocation `xml:"Location"`
}

type progressSummary struct {
	NumberOfTasksFailed    int64      `xml:"NumberOfTasksFailed"`
	NumberOfTasksSucceeded int64      `xml:"NumberOfTasksSucceeded"`
	Timers                 *jobTimers `xml:"Timers,omitempty"`
	TotalNumberOfTasks     int64      `xml:"TotalNumberOfTasks"`
}

type jobTimers struct {
	ElapsedTimeInActiveSeconds int64 `xml:"ElapsedTimeInActiveSeconds"`
}

type listJobsResult struct {
	XMLName   xml.Name            `xml:"ListJobsResult"`
	NS        string              `xml:"xmlns,attr"`
	Jobs      []jobListDescriptor `xml:"Jobs>member"`
	NextToken *string             `xml:"NextToken,omitempty"`
}

type jobListDescriptor struct {
	CreationTime    isoTime          `xml:"CreationTime"`
	Description     *string          `xml:"Description,omitempty"`
	JobId           string           `xml:"JobId"`
	Operation       string           `xml:"Operation"`
	Priority        int64            `xml:"Priority"`
	ProgressSummary *progressSummary `xml:"ProgressSummary,omitempty"`
	Status          string           `xml:"Status"`
	TerminationDate *isoTime         `xml:"TerminationDate,omitempty"`
}

type updateJobStatusResult struct {
	XMLName            xml.Name `xml:"UpdateJobStatusResult"`
	NS                 string   `xml:"xmlns,attr"`
	JobId              string   `xml:"JobId"`
	Status             string   `xml:"Status"`
	StatusUpdateReason *string  `xml:"StatusUpdateReason,omitempty"`
}

type updateJobPriorityResult struct {
	XMLName  xml.Name `xml:"UpdateJobPriorityResult"`
	NS       string   `xml:"xmlns,attr"`
	JobId    string   `xml:"JobId"`
	Priority int64    `xml:"Priority"`
}
