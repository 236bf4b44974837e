using Microsoft.AspNetCore.Identity;

namespace OperatorConsole.Infrastructure.Identity;

public sealed class ApplicationUser : IdentityUser<Guid>
{
    public string DisplayName { get; set; } = "";

    /// <summary>"es" or "en" once the user has chosen; remembered across devices. Null: follow the browser.</summary>
    public string? Culture { get; set; }

    /// <summary>The tenant the user last worked in; chosen again at the next sign-in.</summary>
    public Guid? LastTenantId { get; set; }

    /// <summary>
    /// The composer sends with Ctrl+Enter (Enter adds a line) instead of the default Enter (Shift+Enter adds a line):
    /// people who write long replies ask for it, as in Chatwoot.
    /// </summary>
    public bool SendWithCtrlEnter { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public static class Roles
{
    /// <summary>Platform role (ASP.NET Identity role). Tenant roles live in TenantMember.</summary>
    public const string SuperAdmin = "SuperAdmin";
}
