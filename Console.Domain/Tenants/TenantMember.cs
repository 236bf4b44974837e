using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Tenants;

/// <summary>Per-tenant roles. Owner and Admin manage the workspace; Agent works the inbox.</summary>
public enum TenantRole { Owner, Admin, Agent }

public sealed class TenantMember : ITenantOwned
{
    private TenantMember() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid UserId { get; private set; }
    public TenantRole Role { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    public static TenantMember Create(Guid tenantId, Guid userId, TenantRole role, DateTimeOffset now) => new()
    {
        Id = Guid.CreateVersion7(now),
        TenantId = tenantId,
        UserId = userId,
        Role = role,
        CreatedAt = now,
    };

    public bool CanManageWorkspace => Role is TenantRole.Owner or TenantRole.Admin;

    public void ChangeRole(TenantRole role) => Role = role;
}
