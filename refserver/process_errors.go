package refserver

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/process"
)

// Error codes of the process endpoints, in the style of SPEC.md section 10. They
// are renewkit's own: the SPEC has no process endpoints.
const (
	CodeProcessDefinitionNotFound api.Code = "PROCESS_DEFINITION_NOT_FOUND"
	CodeCustomFormNotFound        api.Code = "CUSTOM_FORM_NOT_FOUND"
	CodeProcessTokenNotFound      api.Code = "PROCESS_TOKEN_NOT_FOUND"
	CodeProcessInstanceNotFound   api.Code = "PROCESS_INSTANCE_NOT_FOUND"
	CodeProcessTokenInactive      api.Code = "PROCESS_TOKEN_INACTIVE"
	CodeProcessTokenExhausted     api.Code = "PROCESS_TOKEN_EXHAUSTED"
	CodeProcessTokenExpired       api.Code = "PROCESS_TOKEN_EXPIRED"
	CodeProcessStepNotActive      api.Code = "PROCESS_STEP_NOT_ACTIVE"
)

// processErrorMapping is one row of processErrorTable.
type processErrorMapping struct {
	err     error
	code    api.Code
	status  int
	message string
}

// processErrorTable maps the process package's sentinel errors to wire errors. The
// codes are not in api's table, so each row carries its status. Everything else
// falls through to errorTable.
func processErrorTable() []processErrorMapping {
	return []processErrorMapping{
		{process.ErrDefinitionNotFound, CodeProcessDefinitionNotFound, http.StatusNotFound, "process definition not found"},
		{process.ErrFormNotFound, CodeCustomFormNotFound, http.StatusNotFound, "custom form not found"},
		{process.ErrTokenNotFound, CodeProcessTokenNotFound, http.StatusNotFound, "process token not found"},
		{process.ErrInstanceNotFound, CodeProcessInstanceNotFound, http.StatusNotFound, "process instance not found"},
		{process.ErrTokenInactive, CodeProcessTokenInactive, http.StatusBadRequest, "the process token is inactive"},
		{process.ErrTokenExhausted, CodeProcessTokenExhausted, http.StatusBadRequest, "the process token has been used as often as it allows"},
		{process.ErrTokenExpired, CodeProcessTokenExpired, http.StatusBadRequest, "the process token has expired"},
		{process.ErrStepNotActive, CodeProcessStepNotActive, http.StatusBadRequest, "the process instance is not waiting at this step"},
	}
}

// processAbort answers err in the section 10 shape: a validation error as 400
// INVALID_REQUEST whose message names the node and parameter of the first problem
// and whose processingDetails list them all; a process sentinel by its table row;
// anything else as the rest of the server does.
func (s *Server) processAbort(c *gin.Context, err error) {
	var ve *process.ValidationError
	if errors.As(err, &ve) && len(ve.Problems) > 0 {
		e := api.NewError(api.CodeInvalidRequest, ve.Problems[0].String())
		for _, p := range ve.Problems {
			e = e.WithDetail(api.CodeInvalidRequest, p.String())
		}
		c.AbortWithStatusJSON(http.StatusBadRequest, e)
		return
	}
	for _, m := range processErrorTable() {
		if errors.Is(err, m.err) {
			c.AbortWithStatusJSON(m.status, api.NewError(m.code, m.message))
			return
		}
	}
	s.abortWith(c, err)
}
