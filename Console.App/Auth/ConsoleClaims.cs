using System.Security.Claims;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Auth;

public static class ConsoleClaims
{
    public const string TenantId = "console:tenant_id";
    public const string TenantRole = "console:tenant_role";
    public const string TenantName = "console:tenant_name";
    public const string DisplayName = "console:display_name";

    /// <summary>API callers: "platform" (bootstrap key) or "tenant" (tenant API key).</summary>
    public const string ApiScope = "console:api_scope";

    /// <summary>A tenant API key's id and its scopes (read, write, admin), one claim per scope.</summary>
    public const string ApiKeyId = "console:api_key_id";
    public const string ApiKeyScope = "console:api_key_scope";

    public static Guid? GetTenantId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(TenantId), out var id) ? id : null;

    public static TenantRole? GetTenantRole(this ClaimsPrincipal user) =>
        Enum.TryParse<TenantRole>(user.FindFirstValue(TenantRole), out var role) ? role : null;

    public static Guid? GetUserId(this ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) ? id : null;

    public static bool IsSuperAdmin(this ClaimsPrincipal user) => user.IsInRole(Roles.SuperAdmin);

    /// <summary>The signed-in super admin as the actor of a platform read or change (audited under their name).</summary>
    public static Infrastructure.Platform.PlatformActor AsPlatformActor(this ClaimsPrincipal user) =>
        new(user.GetUserId(), user.Identity?.Name ?? "");

    /// <summary>
    /// Where "back" leads this person, to a page their role can open: their workspace's inbox, the command center for a
    /// super admin outside any workspace, the sign-in page for nobody.
    /// </summary>
    public static (string Path, string LabelKey) HomeLink(this ClaimsPrincipal? user) => user switch
    {
        { Identity.IsAuthenticated: true } u when u.GetTenantId() is not null => ("inbox", "Forbidden.Back"),
        { Identity.IsAuthenticated: true } u when u.IsSuperAdmin() => ("admin", "Forbidden.BackAdmin"),
        _ => ("", "NotFound.BackHome"),
    };

    public static bool IsPlatformApiCaller(this ClaimsPrincipal user) => user.FindFirstValue(ApiScope) == "platform";

    /// <summary>The platform key holds every scope; a tenant key only those it was issued with.</summary>
    public static bool HasApiKeyScope(this ClaimsPrincipal user, string scope) =>
        user.IsPlatformApiCaller() || user.HasClaim(ApiKeyScope, scope);

    /// <summary>Sets the unit of work's tenant context from the signed-in principal (cookie or API key).</summary>
    public static void ApplyTo(this ClaimsPrincipal user, TenantContext context)
    {
        if (user.Identity?.IsAuthenticated != true) return;
        var tenantId = user.GetTenantId();
        var userId = user.GetUserId();
        if (tenantId is { } t) context.UseTenant(t, userId, user.GetTenantRole());
        else if (userId is { } u) context.UseUser(u);
    }
}

public static class Policies
{
    /// <summary>Signed in and working in a tenant.</summary>
    public const string Member = nameof(Member);

    /// <summary>Owner or Admin of the current tenant (workspace settings, billing, team).</summary>
    public const string Manager = nameof(Manager);
    public const string SuperAdmin = nameof(SuperAdmin);

    /// <summary>Customer simulator: managers and super admins.</summary>
    public const string Simulator = nameof(Simulator);

    /// <summary>REST API: a valid API key.</summary>
    public const string Api = nameof(Api);
}
