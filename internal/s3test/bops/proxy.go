package bops

import (
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
)

// newProxy forwards S3 requests to the S3 server. It keeps the client's Host
// header (SigV4 covers it, and the S3 server checks it against the
// signature), streams bodies, and adds x-amz-replication-status to
// GetObject/HeadObject answers for object versions the emulator replicated
// (COMPLETED on the source, REPLICA on the copy), which versitygw cannot
// store.
func (s *Server) newProxy(target *url.URL) *httputil.ReverseProxy {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.DisableCompression = true
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
		Transport:      tr,
		ErrorLog:       log.New(io.Discard, "", 0),
		ModifyResponse: s.addReplicationStatus,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return
			}
			writeS3Error(w, r, &apiError{Status: http.StatusBadGateway, Code: "BadGateway", Message: "bops proxy: " + err.Error()})
		},
	}
}

func (s *Server) addReplicationStatus(resp *http.Response) error {
	r := resp.Request
	if resp.StatusCode/100 != 2 || r.Method != http.MethodGet && r.Method != http.MethodHead {
		return nil
	}
	bucket, key := splitPath(r.URL.Path)
	q := r.URL.Query()
	if bucket == "" || key == "" || q.Has("tagging") || q.Has("acl") || q.Has("attributes") || q.Has("uploadId") {
		return nil
	}
	v := versionOf(bucket, key, resp.Header.Get("X-Amz-Version-Id"))
	if st := s.repl.statusOf(v); st != "" {
		resp.Header.Set("X-Amz-Replication-Status", st)
	}
	return nil
}
