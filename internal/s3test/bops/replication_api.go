package bops

import (
	"context"
	"encoding/xml"
	"net/http"

	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// isReplicationRequest reports whether r is a path-style bucket request for
// the replication subresource (Put/Get/DeleteBucketReplication).
func isReplicationRequest(r *http.Request) bool {
	bucket, key := splitPath(r.URL.Path)
	return bucket != "" && key == "" && r.URL.Query().Has("replication")
}

func splitPath(p string) (bucket, key string) {
	if len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '/' {
			return p[:i], p[i+1:]
		}
	}
	return p, ""
}

// serveReplication answers Put/Get/DeleteBucketReplication itself, with S3's
// error codes for the checks S3 makes (bucket exists, versioning enabled on
// source and destination, destination exists).
func (s *Server) serveReplication(w http.ResponseWriter, r *http.Request) {
	body, aerr := readBody(r)
	if aerr == nil {
		aerr = s.verifySigV4(r, body)
	}
	bucket, _ := splitPath(r.URL.Path)
	if aerr == nil {
		aerr = s.checkBucket(r.Context(), bucket)
	}
	if aerr != nil {
		writeS3Error(w, r, aerr)
		return
	}
	switch r.Method {
	case http.MethodGet:
		cfg, ok := s.repl.get(bucket)
		if !ok {
			writeS3Error(w, r, &apiError{Status: http.StatusNotFound, Code: "ReplicationConfigurationNotFoundError",
				Message: "The replication configuration was not found"})
			return
		}
		out, _ := xml.Marshal(cfg)
		w.Header().Set("Content-Type", "application/xml")
		_, _ = w.Write(append([]byte(xml.Header), out...))
	case http.MethodPut:
		var cfg replicationConfig
		if err := xml.Unmarshal(body, &cfg); err != nil {
			writeS3Error(w, r, malformedXML())
			return
		}
		if aerr := s.putReplication(r.Context(), bucket, &cfg); aerr != nil {
			writeS3Error(w, r, aerr)
			return
		}
		w.WriteHeader(http.StatusOK)
	case http.MethodDelete:
		s.repl.delete(bucket)
		w.WriteHeader(http.StatusNoContent)
	default:
		writeS3Error(w, r, &apiError{Status: http.StatusMethodNotAllowed, Code: "MethodNotAllowed",
			Message: "The specified method is not allowed against this resource."})
	}
}

func malformedXML() *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "MalformedXML",
		Message: "The XML you provided was not well-formed or did not validate against our published schema"}
}

func invalidRequest(msg string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Code: "InvalidRequest", Message: msg}
}

func (s *Server) checkBucket(ctx context.Context, bucket string) *apiError {
	ok, err := s.bucketExists(ctx, bucket)
	if err != nil {
		e := describeErr(err)
		return &apiError{Status: e.Status, Code: e.Code, Message: e.Message}
	}
	if !ok {
		return &apiError{Status: http.StatusNotFound, Code: "NoSuchBucket", Message: "The specified bucket does not exist"}
	}
	return nil
}

// putReplication validates and stores a configuration for bucket.
func (s *Server) putReplication(ctx context.Context, bucket string, cfg *replicationConfig) *apiError {
	st, err := s.versioning(ctx, bucket)
	if err != nil {
		e := describeErr(err)
		return &apiError{Status: e.Status, Code: e.Code, Message: e.Message}
	}
	if st != s3types.BucketVersioningStatusEnabled {
		return invalidRequest("Versioning must be 'Enabled' on the bucket to apply a replication configuration")
	}
	if cfg.Role == "" || len(cfg.Rules) == 0 {
		return malformedXML()
	}
	for i := range cfg.Rules {
		if aerr := s.checkRule(ctx, &cfg.Rules[i]); aerr != nil {
			return aerr
		}
	}
	cfg.NS = "http://s3.amazonaws.com/doc/2006-03-01/"
	s.repl.put(bucket, cfg)
	return nil
}

// checkRule applies the rule constraints of S3-FACTS section 3. The codes of
// the filter checks are UNCONFIRMED; the destination messages are S3's.
func (s *Server) checkRule(ctx context.Context, r *replicationRule) *apiError {
	if r.Status != "Enabled" && r.Status != "Disabled" || r.Destination == nil {
		return malformedXML()
	}
	if r.Filter != nil && (r.Priority == nil || r.DeleteMarkerReplication == nil) {
		return invalidRequest("A rule with a Filter must specify Priority and DeleteMarkerReplication")
	}
	if r.needsTags() && r.DeleteMarkerReplication != nil && r.DeleteMarkerReplication.Status == "Enabled" {
		return invalidRequest("Delete marker replication is not supported if any Tag filter is specified")
	}
	if sc := r.Destination.StorageClass; sc != nil && !storageClasses[*sc] && *sc != "REDUCED_REDUNDANCY" {
		return &apiError{Status: http.StatusBadRequest, Code: "InvalidStorageClass",
			Message: "The storage class you specified is not valid"}
	}
	dest, ok := parseS3ARN(r.Destination.Bucket, false)
	if !ok {
		return &apiError{Status: http.StatusBadRequest, Code: "InvalidArgument", Message: "Invalid destination bucket ARN"}
	}
	exists, err := s.bucketExists(ctx, dest.Bucket)
	if err != nil || !exists {
		return invalidRequest("Destination bucket must exist.")
	}
	st, err := s.versioning(ctx, dest.Bucket)
	if err != nil || st != s3types.BucketVersioningStatusEnabled {
		return invalidRequest("Destination bucket must have versioning enabled.")
	}
	return nil
}

// SetReplication stores a replication configuration for bucket, checked as
// PutBucketReplication through the emulator's S3 endpoint would check it.
func (s *Server) SetReplication(ctx context.Context, bucket string, cfg *s3types.ReplicationConfiguration) error {
	if aerr := s.checkBucket(ctx, bucket); aerr != nil {
		return aerr
	}
	if aerr := s.putReplication(ctx, bucket, fromSDKReplication(cfg)); aerr != nil {
		return aerr
	}
	return nil
}

// DeleteReplication removes bucket's replication configuration, if any.
func (s *Server) DeleteReplication(bucket string) { s.repl.delete(bucket) }

func fromSDKReplication(c *s3types.ReplicationConfiguration) *replicationConfig {
	out := &replicationConfig{Role: deref(c.Role)}
	for _, r := range c.Rules {
		rule := replicationRule{ID: r.ID, Priority: r.Priority, Status: string(r.Status), Prefix: r.Prefix}
		if f := r.Filter; f != nil {
			rule.Filter = &replicationFilter{Prefix: f.Prefix}
			if f.Tag != nil {
				rule.Filter.Tag = &s3Tag{Key: deref(f.Tag.Key), Value: deref(f.Tag.Value)}
			}
			if a := f.And; a != nil {
				rule.Filter.And = &filterAnd{Prefix: a.Prefix}
				for _, t := range a.Tags {
					rule.Filter.And.Tags = append(rule.Filter.And.Tags, s3Tag{Key: deref(t.Key), Value: deref(t.Value)})
				}
			}
		}
		if d := r.DeleteMarkerReplication; d != nil {
			rule.DeleteMarkerReplication = &statusElement{Status: string(d.Status)}
		}
		if d := r.Destination; d != nil {
			rule.Destination = &replicationDest{Bucket: deref(d.Bucket), Account: d.Account}
			if d.StorageClass != "" {
				sc := string(d.StorageClass)
				rule.Destination.StorageClass = &sc
			}
		}
		out.Rules = append(out.Rules, rule)
	}
	return out
}
