package s3test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"time"
)

// NewTLSProxy is NewProxy serving HTTPS with a fresh self-signed
// certificate for 127.0.0.1, as a corporate S3 endpoint behind a private
// CA would. It writes the CA certificate (PEM) to caFile, for
// AWS_CA_BUNDLE; without it, clients must refuse the endpoint.
func NewTLSProxy(target, caFile string) (*Proxy, error) {
	p, err := NewProxy(target)
	if err != nil {
		return nil, err
	}
	cert, pemBytes, err := selfSigned()
	if err != nil {
		p.Close()
		return nil, err
	}
	if err := os.WriteFile(caFile, pemBytes, 0o600); err != nil {
		p.Close()
		return nil, err
	}
	// Swap the plain listener for a TLS one on a new port.
	p.srv.Close()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	if err != nil {
		return nil, fmt.Errorf("s3test: tls listen: %w", err)
	}
	p.srv = &http.Server{Handler: p, ErrorLog: p.srv.ErrorLog, ReadHeaderTimeout: time.Minute}
	p.ln, p.url = ln, "https://"+ln.Addr().String()
	srv := p.srv // the goroutine must not read the field: NewTLSProxy replaces it
	go func() { _ = srv.Serve(ln) }()
	return p, nil
}

func selfSigned() (tls.Certificate, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "s3test private CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pemBytes, nil
}
