package refserver

import (
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
)

// MaxHeaderBytes is the largest request line plus header fields the server takes; a
// larger request is answered 431 HEADERS_TOO_LARGE in the section 10 shape by
// headerLimit. net/http's own limit (httpMaxHeaderBytes) sits well above it, so that
// only a request too large for that one meets net/http's plain-text 431.
const MaxHeaderBytes = 64 << 10

// httpMaxHeaderBytes is http.Server.MaxHeaderBytes: net/http's default, 1 MiB (it
// reads 4 KiB more before it gives up). A request between MaxHeaderBytes and this
// reaches headerLimit; a larger one gets net/http's plain-text answer (README,
// Answers net/http gives itself).
const httpMaxHeaderBytes = 1 << 20

// headerBytes is the size of r's request line and header fields as sent, counted
// from what net/http parsed: "METHOD URI PROTO\r\n", "Host: h\r\n" and
// "Name: value\r\n" per value. net/http trims the spaces around values, so a request
// padded with them counts a little less than it sent.
func headerBytes(c *gin.Context) int {
	r := c.Request
	n := len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto) + 2
	if r.Host != "" {
		n += len("Host: ") + len(r.Host) + 2
	}
	for name, values := range r.Header {
		for _, v := range values {
			n += len(name) + 2 + len(v) + 2
		}
	}
	return n
}

// headerLimit refuses a request whose request line and headers are over
// MaxHeaderBytes, and a cleartext HTTP/2 preface (net/http hands "PRI * HTTP/2.0" to
// the handler so that a server may upgrade it; this one does not speak HTTP/2
// without TLS). It runs before every other check, so these refusals come first.
func (s *Server) headerLimit(c *gin.Context) {
	if c.Request.ProtoMajor == 2 && c.Request.Method == "PRI" && c.Request.TLS == nil {
		// net/http closes the connection after this answer (isH2Upgrade).
		s.abortWith(c, errHTTP2Preface)
		return
	}
	if headerBytes(c) > MaxHeaderBytes {
		c.Header("Connection", "close")
		s.abortWith(c, errHeadersTooLarge)
		return
	}
	c.Next()
}

// purgeGate lets one caller through per interval of its clock: the starts that find
// the server full purge the expired sessions at most once per interval between
// them (putSession).
type purgeGate struct {
	last atomic.Int64 // Unix nanoseconds of the last pass, 0 before the first
}

// allow reports whether a caller at now may pass, and if so records now.
func (g *purgeGate) allow(now time.Time, interval time.Duration) bool {
	last := g.last.Load()
	if last != 0 && now.UnixNano()-last < int64(interval) {
		return false
	}
	return g.last.CompareAndSwap(last, now.UnixNano())
}
