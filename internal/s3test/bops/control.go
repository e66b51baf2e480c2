package bops

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The five job operations of the S3 Control API (REST-XML, /v20180820/jobs).

func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	body, aerr := readBody(r)
	if aerr == nil {
		aerr = s.verifySigV4(r, body)
	}
	if aerr == nil {
		aerr = s.checkAccount(r)
	}
	var resp any
	if aerr == nil {
		resp, aerr = s.route(r, body)
	}
	if aerr != nil {
		writeControlError(w, r, aerr)
		return
	}
	out, err := xml.Marshal(resp)
	if err != nil {
		writeControlError(w, r, &apiError{Status: 500, Code: "InternalServiceException", Message: err.Error()})
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.Header().Set("X-Amz-Request-Id", requestID())
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append([]byte(xml.Header), out...))
}

// checkAccount requires x-amz-account-id and that it names this account.
// The codes for a missing or foreign account are UNCONFIRMED.
func (s *Server) checkAccount(r *http.Request) *apiError {
	acct := r.Header.Get("X-Amz-Account-Id")
	switch {
	case acct == "":
		return badRequest("The x-amz-account-id header is required")
	case !accountIDRe.MatchString(acct):
		return badRequest("x-amz-account-id %q is not a 12-digit account id", acct)
	case acct != s.opts.AccountID:
		return accessDenied()
	}
	return nil
}

func (s *Server) route(r *http.Request, body []byte) (any, *apiError) {
	rest, _ := strings.CutPrefix(r.URL.Path, "/v20180820/jobs")
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	switch {
	case rest == "" && r.Method == http.MethodPost:
		return s.createJob(body)
	case rest == "" && r.Method == http.MethodGet:
		return s.listJobs(r.URL.Query())
	case len(parts) == 1 && parts[0] != "" && r.Method == http.MethodGet:
		return s.describeJob(parts[0])
	case len(parts) == 2 && parts[1] == "status" && r.Method == http.MethodPost:
		return s.updateJobStatus(parts[0], r.URL.Query())
	case len(parts) == 2 && parts[1] == "priority" && r.Method == http.MethodPost:
		return s.updateJobPriority(parts[0], r.URL.Query())
	}
	return nil, notImplemented("%s %s is not an emulated S3 Control operation", r.Method, r.URL.Path)
}

func (s *Server) createJob(body []byte) (any, *apiError) {
	var req createJobRequest
	if err := xml.Unmarshal(body, &req); err != nil {
		// UNCONFIRMED: the code S3 Control answers for an unparsable body.
		return nil, &apiError{Status: http.StatusBadRequest, Code: "MalformedXML",
			Message: "The XML you provided was not well-formed or did not validate against our published schema"}
	}
	if aerr := validateCreateJob(&req); aerr != nil {
		return nil, aerr
	}
	fp := fingerprint(&req)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, &apiError{Status: http.StatusServiceUnavailable, Code: "ServiceUnavailable", Message: "bops emulator: closed"}
	}
	if j, ok := s.tokens[*req.ClientRequestToken]; ok {
		if j.fingerprint != fp {
			return nil, &apiError{Status: http.StatusBadRequest, Code: codeIdempotency,
				Message: "The ClientRequestToken was already used for a job with different parameters"}
		}
		return &createJobResult{NS: controlNS, JobId: j.id}, nil
	}
	j := newJob(s.opts, &req, fp)
	s.jobs[j.id] = j
	s.order = append(s.order, j)
	s.tokens[*req.ClientRequestToken] = j
	s.wg.Add(1)
	go s.run(j)
	return &createJobResult{NS: controlNS, JobId: j.id}, nil
}

// fingerprint identifies a request's content apart from its token.
func fingerprint(req *createJobRequest) [32]byte {
	c := *req
	c.ClientRequestToken = nil
	b, _ := xml.Marshal(&c)
	return sha256.Sum256(b)
}

func (s *Server) lookup(id string) (*job, *apiError) {
	if len(id) < 5 || len(id) > 36 {
		return nil, badRequest("JobId must be 5 to 36 characters long")
	}
	s.mu.Lock()
	j, ok := s.jobs[id]
	s.mu.Unlock()
	if !ok {
		// UNCONFIRMED: the troubleshooting guide names NoSuchJobException
		// ("No such job"); the SDK models NotFoundException.
		return nil, &apiError{Status: http.StatusBadRequest, Code: codeNotFound, Message: "No such job " + id}
	}
	return j, nil
}

func (s *Server) describeJob(id string) (any, *apiError) {
	j, aerr := s.lookup(id)
	if aerr != nil {
		return nil, aerr
	}
	return &describeJobResult{NS: controlNS, Job: j.describe()}, nil
}

func (s *Server) updateJobStatus(id string, q url.Values) (any, *apiError) {
	want := q.Get("requestedJobStatus")
	if want != statusReady && want != statusCancelled {
		return nil, badRequest("requestedJobStatus %q must be Ready or Cancelled", want)
	}
	var reason *string
	if q.Has("statusUpdateReason") {
		r := q.Get("statusUpdateReason")
		if len(r) < 1 || len(r) > 256 {
			return nil, badRequest("statusUpdateReason must be 1 to 256 characters long")
		}
		reason = &r
	}
	j, aerr := s.lookup(id)
	if aerr != nil {
		return nil, aerr
	}
	status, aerr := j.requestStatus(want, reason)
	if aerr != nil {
		return nil, aerr
	}
	s.opts.Logf("bops: job %s: UpdateJobStatus %s -> %s", id, want, status)
	return &updateJobStatusResult{NS: controlNS, JobId: id, Status: status, StatusUpdateReason: reason}, nil
}

func (s *Server) updateJobPriority(id string, q url.Values) (any, *apiError) {
	p, err := strconv.ParseInt(q.Get("priority"), 10, 64)
	if err != nil || p < 0 || p > 2147483647 {
		return nil, badRequest("priority must be an integer between 0 and 2147483647")
	}
	j, aerr := s.lookup(id)
	if aerr != nil {
		return nil, aerr
	}
	j.mu.Lock()
	j.priority = p
	j.mu.Unlock()
	return &updateJobPriorityResult{NS: controlNS, JobId: id, Priority: p}, nil
}

const maxListResults = 1000

// listJobs lists jobs newest first (UNCONFIRMED order), filtered by
// jobStatuses, maxResults per page (default 1000), NextToken opaque.
func (s *Server) listJobs(q url.Values) (any, *apiError) {
	filter := map[string]bool{}
	for _, st := range q["jobStatuses"] {
		if !jobStatuses[st] {
			return nil, &apiError{Status: http.StatusBadRequest, Code: codeInvalidRequest,
				Message: "jobStatuses: " + strconv.Quote(st) + " is not a job status"}
		}
		filter[st] = true
	}
	max := maxListResults
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > maxListResults {
			return nil, &apiError{Status: http.StatusBadRequest, Code: codeInvalidRequest,
				Message: "maxResults must be an integer between 0 and 1000"}
		}
		if n > 0 {
			max = n
		}
	}
	s.mu.Lock()
	all := make([]*job, len(s.order))
	for i, j := range s.order {
		all[len(all)-1-i] = j
	}
	s.mu.Unlock()
	start, aerr := decodeToken(q, all)
	if aerr != nil {
		return nil, aerr
	}
	res := &listJobsResult{NS: controlNS, Jobs: []jobListDescriptor{}}
	for i := start; i < len(all); i++ {
		d := all[i].listDescriptor()
		if len(filter) > 0 && !filter[d.Status] {
			continue
		}
		if len(res.Jobs) == max {
			tok := base64.RawURLEncoding.EncodeToString([]byte(all[i].id))
			res.NextToken = &tok
			break
		}
		res.Jobs = append(res.Jobs, d)
	}
	return res, nil
}

// decodeToken turns nextToken (the id of the first job of the page) into
// an index into jobs.
func decodeToken(q url.Values, jobs []*job) (int, *apiError) {
	if !q.Has("nextToken") {
		return 0, nil
	}
	id, err := base64.RawURLEncoding.DecodeString(q.Get("nextToken"))
	if err == nil {
		for i, j := range jobs {
			if bytes.Equal([]byte(j.id), id) {
				return i, nil
			}
		}
	}
	return 0, &apiError{Status: http.StatusBadRequest, Code: codeInvalidNextToken,
		Message: "The continuation token provided is invalid"}
}

// jobCount is the number of jobs created so far.
func (s *Server) jobCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}
