// Package process runs the guide's "Renewing via Process Definition" flow: a small
// declarative format for process definitions, its validation, versioned custom
// forms, process tokens, and the engine that runs process instances. It knows
// nothing of HTTP; the reference server serves it (refserver/process_*.go) and hands
// it the passcode API through the Passcodes interface, so an instance's activities
// run the same code as the API's endpoints.
//
// # Definitions
//
// A Definition is named nodes and the sequence flows between them, in YAML or JSON:
//
//	name: passcodeRenewal
//	nodes:
//	  - {id: start, type: startEvent, name: Start}
//	  - id: startPasscodeRenewal
//	    type: startPasscodeRenewal
//	    parameters: {passcodePolicy: standard, storeName: default, userExternalId: alice}
//	  - {id: form, type: passcodeRenewalForm, parameters: {dataFormName: passcodeRenewalForm}}
//	  - {id: complete, type: completePasscodeRenewal,
//	     parameters: {passcodeRenewalBrowserResponse: "${passcodeRenewalForm1.browserResponse}"}}
//	  - {id: decide, type: simpleDecider}
//	  - {id: end, type: endEvent, name: End}
//	flows:
//	  - {from: start, to: startPasscodeRenewal}
//	  - ...
//
// Node types are the two events and the activities of Activities: for each flow
// (renewal, registration, authentication) a start, a form and a complete activity,
// the simple decider, the guide's 'Get User' (getUser) and the error form
// (errorForm). Each activity has the input parameters of the guide's tables with
// their documented defaults (passcodeRenewal1, user1, passcodeRenewalForm1, data
// form version 1, starting component passcode-renewal / passcode-verify, UI
// component passcode-renewal / renewal, and their counterparts); a deployed
// definition shows every default filled in.
//
// # Branches
//
// Events, forms and error forms have exactly one outgoing sequence flow. A start,
// complete or Get User activity and the simple decider may branch: each of its
// flows but one carries a Condition on what the node ended with (the decider's
// decision PASS / FAIL / REVIEW, the error code of an activity such as
// PASSCODE_NOT_REGISTERED or USER_LOCKED, the status of the user Get User found),
// and exactly one, the default, carries none and is taken when no condition holds:
//
//	flows:
//	  - {from: startPasscodeRenewal, to: noPasscode, condition: {errorCode: PASSCODE_NOT_REGISTERED}}
//	  - {from: startPasscodeRenewal, to: passcodeRenewalForm, default: true}
//
// ActivitySpec.Branches lists the fields and values each type can test. Cycles are
// refused: a retry is written out as a second start, form and complete activity
// with its own attempt key, so an instance always ends, after at most as many nodes
// as its definition has.
//
// String parameters may hold substitutions ${key.field}: ${token.<name>} is a
// parameter of the process token (${token.name} its name), ${<userKey>.id} and
// ${<userKey>.externalId} the user a start activity found, and
// ${<formDataKey>.browserResponse} the JSON the browser sent to a form. "$${"
// writes a literal "${".
//
// Validate (and Engine.Deploy) refuse an unknown activity, an unknown, mistyped or
// missing required parameter, an unconnected or unreachable node, a cycle, a key or
// substitution that is not defined on every path to the node that uses it, a form
// that does not exist or does not ask for what its flow needs, and branches that
// break the rules above: no default, two defaults, a flow with neither condition nor
// default, a condition on a node that cannot branch, a condition naming a field or
// value its node never has, the same condition twice. The *ValidationError names
// the node (and the parameter) of each problem.
//
// # Forms, tokens and instances
//
// A Form is the guide's JSON form {title, components}; its password components have
// a role (existingPasscode, newPasscode, confirmPasscode) that tells the page what to
// do with them. Their values never leave the browser: the page sends only the SRP
// values (the browser response).
//
// A Token starts instances of one definition version for whoever holds its secret
// (the end user's URL): UNLIMITED, MULTI_USE_COUNT_LIMITED (maxUses) or
// MULTI_USE_TIME_LIMITED (expiresAt), ACTIVE or INACTIVE.
//
// An instance runs from the start event until a form or an error form waits for
// the browser (WAITING) or an end event is reached (COMPLETED). Get User looks the
// user up and stores it under its user key; a start activity calls the passcode
// API's start; a form activity shows its form with the session's SRP parameters and
// policy; an error form shows its text and the failure that led to it, and goes on
// when the user presses its button; a complete activity calls the API's completion
// with the browser response. After each node the instance takes the flow whose
// condition holds, else the default. The simple decider says PASS when an attempt
// completed and no failure counts, FAIL when one counts and is about the user (a
// wrong passcode, a reused one, a locked, disabled or unknown user), REVIEW
// otherwise (an expired or stale session, a misconfiguration, a server failure). A
// failure stops counting once a flow that names its code was taken and a later
// attempt began (a retry, or registration after PASSCODE_NOT_REGISTERED). A failed
// start whose code no flow names skips the form and the completion of its attempt.
// The end user reaches an instance through its access key, a bearer secret that
// Engine.Start returns once.
//
// Everything lives in memory: the reference server loads its fixtures
// (fixtures/processes) at start, and at most Config.MaxInstances instances are
// kept.
package process
