package refserver

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/seedb14f67b8/renewkit/api"
)

// openAPISpec is the OpenAPI 3.1 description of every endpoint (api/openapi.yaml),
// checked against the router by TestOpenAPIRoutes.
var openAPISpec = api.OpenAPIDocument()

// OpenAPI returns a copy of the OpenAPI 3.1 document served at /openapi.yaml.
func OpenAPI() []byte { return append([]byte(nil), openAPISpec...) }

// statusBody is the body of /healthz and /readyz.
type statusBody struct {
	Status string `json:"status"`
}

// handleHealthz is GET /healthz: the process is alive and routing.
func (s *Server) handleHealthz(c *gin.Context) {
	c.JSON(http.StatusOK, statusBody{Status: "ok"})
}

// handleReadyz is GET /readyz: the store answers. 503 UNAVAILABLE otherwise; the
// store's error text stays in the log.
func (s *Server) handleReadyz(c *gin.Context) {
	if err := s.store.Ping(c.Request.Context()); err != nil {
		s.log.Warn("readiness check failed", "error", err.Error())
		e := api.NewError(api.CodeUnavailable, "the store is not reachable")
		c.AbortWithStatusJSON(e.Status(), e)
		return
	}
	c.JSON(http.StatusOK, statusBody{Status: "ready"})
}

// handleOpenAPI is GET /openapi.yaml.
func (s *Server) handleOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", openAPISpec)
}
