using Microsoft.AspNetCore.Identity;

namespace OperatorConsole.Infrastructure.Identity;

public sealed class ApplicationUser : IdentityUser<Guid>
{
    public string DisplayName { get; set; } = "";

    /// <summary>"es" or "en" once the user has chosen; remembered across devices. Null: follow the browser.</summary>
    public string? Culture { get; set; }

    /// <summary>The tenant the user last worked in; chosen again at the next sign-in.</summary>
    public Guid? LastTenantId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

public static class Roles
{
    /// <summary>Platform role (ASP.NET Identity role). Tenant roles live in TenantMember.</summary>
    public const string SuperAdmin = "SuperAdmin";
}
