package refserver

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/seedb14f67b8/renewkit/api"
	"github.com/seedb14f67b8/renewkit/fixtures/processes"
	"github.com/seedb14f67b8/renewkit/process"
	"github.com/seedb14f67b8/renewkit/refserver/store"
	"github.com/seedb14f67b8/renewkit/refserver/web"
)

// Operations of the process endpoints, in the pattern of SPEC.md section 3: a token
// needs TNT#{tenantId}#{operation} (or TNT#{tenantId}#*). The end user's endpoints
// (/processFlows) need none: the process token, then the instance's access key,
// are their credentials.
const (
	OpDeployProcessDefinition = "deployProcessDefinition"
	OpGetProcessDefinitions   = "getProcessDefinitions"
	OpCreateCustomForm        = "createCustomForm"
	OpGetCustomForms          = "getCustomForms"
	OpCreateProcessToken      = "createProcessToken"
	OpGetProcessTokens        = "getProcessTokens"
	OpUpdateProcessToken      = "updateProcessToken"
	OpGetProcessInstances     = "getProcessInstances"
)

// Paths of the end-user page, outside the API prefix like /oauth/token: the page a
// process token's URL opens, and its static files.
const (
	FlowPagePath   = "/flow"
	FlowAssetsPath = "/flow-assets"
)

// processAPI serves process definitions, custom forms, process tokens and instances
// (package process) and the end-user page (package web).
type processAPI struct {
	s      *Server
	engine *process.Engine
	page   *template.Template
}

// newProcessAPI builds the engine over the server's own passcode code paths and
// loads the process fixtures unless the server seeds no fixtures.
func newProcessAPI(s *Server) (*processAPI, error) {
	engine, err := process.NewEngine(process.Config{Passcodes: serverPasscodes{s}, Now: s.now})
	if err != nil {
		return nil, err
	}
	page, err := web.NewTemplate()
	if err != nil {
		return nil, fmt.Errorf("refserver: page template: %w", err)
	}
	if !s.cfg.NoFixtures {
		bundles, err := processes.Bundles()
		if err != nil {
			return nil, err
		}
		for _, b := range bundles {
			if err := engine.Load(b); err != nil {
				return nil, err
			}
		}
	}
	return &processAPI{s: s, engine: engine, page: page}, nil
}

// Engine returns the server's process engine (tests deploy and inspect through it).
func (s *Server) Engine() *process.Engine { return s.processes.engine }

// processRoutes registers the process endpoints under both tenant forms, and the
// end-user page at the root.
func (p *processAPI) routes(e *gin.Engine, groups ...*gin.RouterGroup) {
	s := p.s
	for _, g := range groups {
		g.GET("/processActivities", s.authorize(OpGetProcessDefinitions), p.handleActivities)
		g.POST("/processDefinitions", s.authorize(OpDeployProcessDefinition), p.handleDeploy)
		g.GET("/processDefinitions", s.authorize(OpGetProcessDefinitions), p.handleListDefinitions)
		g.GET("/processDefinitions/:name", s.authorize(OpGetProcessDefinitions), p.handleGetDefinition)
		g.GET("/processDefinitions/:name/versions/:version", s.authorize(OpGetProcessDefinitions), p.handleGetDefinition)
		g.POST("/customForms", s.authorize(OpCreateCustomForm), p.handleSaveForm)
		g.GET("/customForms", s.authorize(OpGetCustomForms), p.handleListForms)
		g.GET("/customForms/:name", s.authorize(OpGetCustomForms), p.handleGetForm)
		g.GET("/customForms/:name/versions/:version", s.authorize(OpGetCustomForms), p.handleGetForm)
		g.POST("/processTokens", s.authorize(OpCreateProcessToken), p.handleCreateToken)
		g.GET("/processTokens", s.authorize(OpGetProcessTokens), p.handleListTokens)
		g.GET("/processTokens/:tokenId", s.authorize(OpGetProcessTokens), p.handleGetToken)
		g.POST("/processTokens/:tokenId", s.authorize(OpUpdateProcessToken), p.handleUpdateToken)
		g.GET("/processInstances", s.authorize(OpGetProcessInstances), p.handleListInstances)
		g.GET("/processInstances/:instanceId", s.authorize(OpGetProcessInstances), p.handleGetInstance)
		g.POST("/processFlows", p.needTenant, p.handleFlowStart)
		g.GET("/processFlows/:instanceId", p.needTenant, p.handleFlowView)
		g.POST("/processFlows/:instanceId/steps/:nodeId", p.needTenant, p.handleFlowSubmit)
	}
	e.GET(FlowPagePath+"/:tenantId/:token", p.handlePage)
	e.GET(FlowAssetsPath+"/:file", p.handleAsset)
}

// needTenant refuses the host form without a tenant, as authorize does.
func (p *processAPI) needTenant(c *gin.Context) {
	if tenantOf(c) == "" {
		p.s.processAbort(c, store.ErrTenantNotFound)
		return
	}
	c.Next()
}

// decode reads and strictly decodes a JSON body into dst.
func (p *processAPI) decode(c *gin.Context, dst any) error {
	body, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeJSON(c.GetHeader("Content-Type"), body, dst)
}

// version reads the optional :version parameter: 0 (latest) when absent.
func version(c *gin.Context) (int, error) {
	v := c.Param("version")
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, invalidRequest("the version must be a positive integer")
	}
	return n, nil
}

func (p *processAPI) handleActivities(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"activities": process.Activities()})
}

func (p *processAPI) handleDeploy(c *gin.Context) {
	var d process.Definition
	if err := p.decode(c, &d); err != nil {
		p.s.processAbort(c, err)
		return
	}
	out, err := p.engine.Deploy(tenantOf(c), d)
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (p *processAPI) handleListDefinitions(c *gin.Context) {
	ds := p.engine.Definitions(tenantOf(c))
	if ds == nil {
		ds = []process.Definition{}
	}
	c.JSON(http.StatusOK, gin.H{"processDefinitions": ds})
}

func (p *processAPI) handleGetDefinition(c *gin.Context) {
	v, err := version(c)
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	d, err := p.engine.Definition(tenantOf(c), c.Param("name"), v)
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	c.JSON(http.StatusOK, d)
}

func (p *processAPI) handleSaveForm(c *gin.Context) {
	var f process.Form
	if err := p.decode(c, &f); err != nil {
		p.s.processAbort(c, err)
		return
	}
	out, err := p.engine.SaveForm(tenantOf(c), f)
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	c.JSON(http.StatusCreated, out)
}

func (p *processAPI) handleListForms(c *gin.Context) {
	fs := p.engine.Forms(tenantOf(c))
	if fs == nil {
		fs = []process.Form{}
	}
	c.JSON(http.StatusOK, gin.H{"customForms": fs})
}

func (p *processAPI) handleGetForm(c *gin.Context) {
	v, err := version(c)
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	f, err := p.engine.Form(tenantOf(c), c.Param("name"), v)
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	c.JSON(http.StatusOK, f)
}

func (p *processAPI) handleCreateToken(c *gin.Context) {
	var r process.TokenRequest
	if err := p.decode(c, &r); err != nil {
		p.s.processAbort(c, err)
		return
	}
	tenant := tenantOf(c)
	t, secret, err := p.engine.CreateToken(tenant, r)
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	t.URL = flowURL(c, tenant, secret)
	c.JSON(http.StatusCreated, t)
}

// flowURL is the end user's URL of a token: the page under this server's own
// origin, as the request reached it.
func flowURL(c *gin.Context, tenant, secret string) string {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: c.Request.Host,
		Path: FlowPagePath + "/" + tenant + "/" + secret}
	u.RawPath = FlowPagePath + "/" + url.PathEscape(tenant) + "/" + url.PathEscape(secret)
	return u.String()
}

func (p *processAPI) handleListTokens(c *gin.Context) {
	ts := p.engine.Tokens(tenantOf(c))
	if ts == nil {
		ts = []process.Token{}
	}
	c.JSON(http.StatusOK, gin.H{"processTokens": ts})
}

func (p *processAPI) handleGetToken(c *gin.Context) {
	t, err := p.engine.Token(tenantOf(c), c.Param("tokenId"))
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (p *processAPI) handleUpdateToken(c *gin.Context) {
	var u process.TokenUpdate
	if err := p.decode(c, &u); err != nil {
		p.s.processAbort(c, err)
		return
	}
	t, err := p.engine.UpdateToken(tenantOf(c), c.Param("tokenId"), u)
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	c.JSON(http.StatusOK, t)
}

func (p *processAPI) handleListInstances(c *gin.Context) {
	f := process.InstanceFilter{ProcessTokenID: c.Query("processTokenId"), ProcessDefnName: c.Query("processDefnName")}
	c.JSON(http.StatusOK, gin.H{"processInstances": p.engine.Instances(tenantOf(c), f)})
}

func (p *processAPI) handleGetInstance(c *gin.Context) {
	in, err := p.engine.Instance(tenantOf(c), c.Param("instanceId"))
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	c.JSON(http.StatusOK, in)
}

// flowStartRequest is the end user's start: the process token from the URL.
type flowStartRequest struct {
	ProcessToken string `json:"processToken"`
}

// flowStartResponse is the instance's first view with its access key.
type flowStartResponse struct {
	AccessKey string `json:"accessKey"`
	process.View
}

func (p *processAPI) handleFlowStart(c *gin.Context) {
	var r flowStartRequest
	if err := p.decode(c, &r); err != nil {
		p.s.processAbort(c, err)
		return
	}
	if err := requiredString("processToken", r.ProcessToken); err != nil {
		p.s.processAbort(c, err)
		return
	}
	view, key, err := p.engine.Start(c.Request.Context(), tenantOf(c), r.ProcessToken)
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusCreated, flowStartResponse{AccessKey: key, View: view})
}

// accessKey is the instance's access key from "Authorization: Bearer <key>". A
// missing one is the same as a wrong one: the instance is not found.
func accessKey(c *gin.Context) string {
	raw, err := bearerToken(c.GetHeader("Authorization"))
	if err != nil {
		return ""
	}
	return raw
}

func (p *processAPI) handleFlowView(c *gin.Context) {
	view, err := p.engine.Step(tenantOf(c), c.Param("instanceId"), accessKey(c))
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, view)
}

func (p *processAPI) handleFlowSubmit(c *gin.Context) {
	// The key is checked before the body is decoded, so that a caller without it
	// learns nothing about the instance from the body's errors.
	tenant, id, key := tenantOf(c), c.Param("instanceId"), accessKey(c)
	if _, err := p.engine.Step(tenant, id, key); err != nil {
		p.s.processAbort(c, err)
		return
	}
	var sub process.Submission
	if err := p.decode(c, &sub); err != nil {
		p.s.processAbort(c, err)
		return
	}
	view, err := p.engine.Submit(c.Request.Context(), tenant, id, key, c.Param("nodeId"), sub)
	if err != nil {
		p.s.processAbort(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, view)
}

// pageSecurityHeaders keep the page and its token to itself: no framing, scripts
// and connections to this origin only, no referrer (the URL holds the token), no
// caching.
func pageSecurityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
}

// handlePage renders the end-user page for a token URL. It does not start anything:
// the page's script does, with a POST, so a link preview that fetches the URL uses
// no count-limited token.
func (p *processAPI) handlePage(c *gin.Context) {
	tenant := c.Param("tenantId")
	var buf bytes.Buffer
	err := web.Render(&buf, p.page, web.Page{
		StaticBase: FlowAssetsPath,
		APIBase:    p.s.cfg.Prefix + "/tenants/" + url.PathEscape(tenant),
		Token:      c.Param("token"),
		Profile:    string(p.s.params.Profile()),
	})
	if err != nil {
		p.s.processAbort(c, fmt.Errorf("refserver: render page: %v", err))
		return
	}
	pageSecurityHeaders(c)
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
}

// handleAsset serves the page's static files: only the embedded files themselves,
// never a directory listing.
func (p *processAPI) handleAsset(c *gin.Context) {
	name := c.Param("file")
	data, err := fs.ReadFile(web.Static(), name)
	if err != nil || strings.Contains(name, "/") {
		noRoute(c)
		return
	}
	ctype := "application/octet-stream"
	switch path.Ext(name) {
	case ".js":
		ctype = "text/javascript; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	}
	pageSecurityHeaders(c)
	c.Header("Cache-Control", "no-cache")
	c.Data(http.StatusOK, ctype, data)
}

// serverPasscodes is process.Passcodes over the server's own start and completion
// code: an activity runs exactly what the API endpoint runs.
type serverPasscodes struct{ s *Server }

// StartPasscode runs the start of flow as the API's start endpoint does.
func (sp serverPasscodes) StartPasscode(ctx context.Context, tenant string, flow api.Flow, storeName string, user api.UserRef, policy string) (*api.StartResponse, api.User, error) {
	resp, u, err := sp.s.startSession(ctx, flow, tenant, storeName, user, policy)
	if err != nil {
		return nil, api.User{}, sp.wire(ctx, err)
	}
	return resp, apiUser(u, sp.s.now()), nil
}

// CompletePasscode runs the completion of a session as the API's completion
// endpoint does, body being the JSON request.
func (sp serverPasscodes) CompletePasscode(ctx context.Context, tenant string, flow api.Flow, storeName, sessionID string, body []byte) (*api.CompleteResponse, error) {
	resp, err := sp.s.completeSession(ctx, flow, tenant, storeName, sessionID, "application/json", body)
	if err != nil {
		return nil, sp.wire(ctx, err)
	}
	return resp, nil
}

// GetUser looks a user up as GET {P}/users/{userId} (or .../ext) does, the store
// first so that a missing store is reported as such.
func (sp serverPasscodes) GetUser(ctx context.Context, tenant, storeName string, ref api.UserRef) (api.User, error) {
	if !ref.Valid() {
		return api.User{}, sp.wire(ctx, store.ErrUserNotFound)
	}
	var u store.User
	err := sp.s.store.View(ctx, func(tx store.Tx) error {
		if _, err := tx.IdentityStore(ctx, tenant, storeName); err != nil {
			return err
		}
		var err error
		u, err = lookupUser(ctx, tx, tenant, storeName, ref)
		return err
	})
	if err != nil {
		return api.User{}, sp.wire(ctx, err)
	}
	return apiUser(u, sp.s.now()), nil
}

// wire maps err as the endpoints do, and logs an internal failure (by kind only, as
// abortWith does) since no response carries it.
func (sp serverPasscodes) wire(ctx context.Context, err error) *api.Error {
	e, internal := toAPIError(err)
	if internal {
		sp.s.log.LogAttrs(ctx, slog.LevelError, "process activity failed", slog.String("error", err.Error()))
	}
	return e
}
