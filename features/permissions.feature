Feature: Permissions, as a matrix
  SPEC.md sections 2, 3 and 5. Every operation of section 3 (both start forms and
  the completion of each flow) and every admin endpoint of section 5, sent with each
  restricted token, gets the answer the token's permissions call for: 401
  UNAUTHORIZED for an expired or forged token (a broken signature, alg none, a key
  the token carries itself), 403 FORBIDDEN for a valid token without
  TNT#{tenantId}#{operation} (or TNT#{tenantId}#*) for this tenant, and neither of
  those where the token grants the operation (the renewal-only token, on the three
  renewal operations). The operations are one table in steps/permissions.go
  (permissionMatrix), the expected answers follow from each role's permissions
  (rolePermissions): one scenario per token, failing with every operation that got
  the wrong answer. A request refused with 401 or 403 changes nothing.

  @PERM-001 @must
  Scenario Outline: every passcode operation with the <role> token gets the answer its permissions call for
    Given a user with a registered passcode and a user without one
    When the client sends every passcode operation with the <role> token
    Then every answer is the one the token's permissions call for

    @renewal-token
    Examples: the three renewal permissions
      | role         |
      | renewal-only |

    @no-permission-token
    Examples: no permission at all
      | role          |
      | no-permission |

    @other-tenant
    Examples: every permission of another tenant
      | role           |
      | other tenant's |

    @unknown-tenant
    Examples: every permission of a tenant that does not exist
      | role           |
      | unknown-tenant |

    @expired-token
    Examples: an expired token
      | role    |
      | expired |

    Examples: the full token forged (RFC 7515, RFC 7519: badly signed or unsigned)
      | role             |
      | broken-signature |
      | alg-none         |
      | embedded-key     |

  @PERM-002 @must @admin
  Scenario Outline: every admin operation with the <role> token gets the answer its permissions call for
    Given a user with a registered passcode and a user without one
    And a policy with the requirements {"minimumLength": 10, "passcodeHistory": 2}
    When the client sends every admin operation with the <role> token
    Then every answer is the one the token's permissions call for

    @renewal-token
    Examples: the three renewal permissions
      | role         |
      | renewal-only |

    @no-permission-token
    Examples: no permission at all
      | role          |
      | no-permission |

    @other-tenant
    Examples: every permission of another tenant
      | role           |
      | other tenant's |

    @unknown-tenant
    Examples: every permission of a tenant that does not exist
      | role           |
      | unknown-tenant |

    @expired-token
    Examples: an expired token
      | role    |
      | expired |

    Examples: the full token forged (RFC 7515, RFC 7519: badly signed or unsigned)
      | role             |
      | broken-signature |
      | alg-none         |
      | embedded-key     |

  @PERM-003 @must
  Scenario Outline: a passcode write refused to the <role> token changes nothing
    Each refused completion is checked at once: a refused registration leaves the
    user without a passcode, a refused renewal leaves the passcode as it was.
    Given a user with a registered passcode and a user without one
    When the client sends every passcode write with the <role> token
    Then no refused write changed anything

    @renewal-token
    Examples: the three renewal permissions
      | role         |
      | renewal-only |

    @no-permission-token
    Examples: no permission at all
      | role          |
      | no-permission |

    @other-tenant
    Examples: every permission of another tenant
      | role           |
      | other tenant's |

    @unknown-tenant
    Examples: every permission of a tenant that does not exist
      | role           |
      | unknown-tenant |

    @expired-token
    Examples: an expired token
      | role    |
      | expired |

    Examples: the full token forged (RFC 7515, RFC 7519: badly signed or unsigned)
      | role             |
      | broken-signature |
      | alg-none         |
      | embedded-key     |

  @PERM-004 @must @admin
  Scenario Outline: an admin write refused to the <role> token changes nothing
    Each refused write is checked at once, as the full role: no user or policy was
    created, the policy is neither updated nor deleted, and the credential whose
    deletion was refused still authenticates.
    Given a user with a registered passcode and a user without one
    And a policy with the requirements {"minimumLength": 10, "passcodeHistory": 2}
    When the client sends every admin write with the <role> token
    Then no refused write changed anything

    @renewal-token
    Examples: the three renewal permissions
      | role         |
      | renewal-only |

    @no-permission-token
    Examples: no permission at all
      | role          |
      | no-permission |

    @other-tenant
    Examples: every permission of another tenant
      | role           |
      | other tenant's |

    @unknown-tenant
    Examples: every permission of a tenant that does not exist
      | role           |
      | unknown-tenant |

    @expired-token
    Examples: an expired token
      | role    |
      | expired |

    Examples: the full token forged (RFC 7515, RFC 7519: badly signed or unsigned)
      | role             |
      | broken-signature |
      | alg-none         |
      | embedded-key     |
