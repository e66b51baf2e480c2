package bops

// ManifestGenerator validation (S3JobManifestGenerator, the only member of
// the JobManifestGenerator union).

func validateGenerator(g *manifestGenerator) *apiError {
	if len(g.Extra) > 0 {
		return badRequest("ManifestGenerator: unknown member %s", g.Extra[0].XMLName.Local)
	}
	s := g.S3JobManifestGenerator
	if s == nil {
		return badRequest("ManifestGenerator must have an S3JobManifestGenerator")
	}
	if s.SourceBucket == nil || s.EnableManifestOutput == nil {
		return badRequest("S3JobManifestGenerator.SourceBucket and EnableManifestOutput are required")
	}
	if _, ok := parseS3ARN(*s.SourceBucket, false); !ok || len(*s.SourceBucket) > 128 {
		return badRequest("S3JobManifestGenerator.SourceBucket %q is not a valid bucket ARN (arn:aws:s3:::<bucket>)", *s.SourceBucket)
	}
	if o := s.ExpectedBucketOwner; o != nil && !accountIDRe.MatchString(*o) {
		return badRequest("S3JobManifestGenerator.ExpectedBucketOwner must be a 12-digit account id")
	}
	if err := validateOutputLocation(s); err != nil {
		return err
	}
	if s.Filter != nil {
		return validateFilter(s.Filter)
	}
	return nil
}

func validateOutputLocation(s *s3ManifestGenerator) *apiError {
	loc := s.ManifestOutputLocation
	if loc == nil {
		if *s.EnableManifestOutput {
			return badRequest("S3JobManifestGenerator.ManifestOutputLocation is required when EnableManifestOutput is true")
		}
		return nil
	}
	if loc.Bucket == nil || loc.ManifestFormat == nil {
		return badRequest("ManifestOutputLocation.Bucket and ManifestFormat are required")
	}
	if _, ok := parseS3ARN(*loc.Bucket, false); !ok {
		return badRequest("ManifestOutputLocation.Bucket %q is not a valid bucket ARN (arn:aws:s3:::<bucket>)", *loc.Bucket)
	}
	if *loc.ManifestFormat != formatGenerated {
		return badRequest("ManifestOutputLocation.ManifestFormat %q must be %s", *loc.ManifestFormat, formatGenerated)
	}
	if p := loc.ManifestPrefix; p != nil && (len(*p) < 1 || len(*p) > 512) {
		return badRequest("ManifestOutputLocation.ManifestPrefix must be 1 to 512 characters long")
	}
	if loc.ManifestEncryption != nil {
		return notImplemented("ManifestOutputLocation.ManifestEncryption is not emulated")
	}
	return nil
}

func validateFilter(f *generatorFilter) *apiError {
	if f.MatchAnyObjectEncryption != nil {
		return notImplemented("filter MatchAnyObjectEncryption is not emulated")
	}
	if k := f.KeyNameConstraint; k != nil {
		// "Each KeyNameConstraint filter accepts an array of strings with a
		// length of 1 string" (service model documentation).
		for name, l := range map[string]*stringList{
			"MatchAnyPrefix": k.MatchAnyPrefix, "MatchAnySuffix": k.MatchAnySuffix, "MatchAnySubstring": k.MatchAnySubstring,
		} {
			if l == nil {
				continue
			}
			if len(l.Members) != 1 || l.Members[0] == "" || len(l.Members[0]) > 1024 {
				return badRequest("KeyNameConstraint.%s accepts exactly one non-empty string", name)
			}
		}
	}
	for _, sc := range f.MatchAnyStorageClass.values() {
		if !storageClasses[sc] {
			return badRequest("MatchAnyStorageClass: %q is not a valid storage class", sc)
		}
	}
	for _, st := range f.ObjectReplicationStatuses.values() {
		if !replicationStatus[st] {
			return badRequest("ObjectReplicationStatuses: %q must be COMPLETED, FAILED, REPLICA or NONE", st)
		}
	}
	if gt, lt := f.ObjectSizeGreaterThanBytes, f.ObjectSizeLessThanBytes; gt != nil && *gt < 0 || lt != nil && *lt < 0 {
		return badRequest("object size filters must not be negative")
	}
	return nil
}
