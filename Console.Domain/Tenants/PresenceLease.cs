using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Tenants;

/// <summary>
/// One node's claim that a member has at least one live connection there (a Blazor circuit or a hub connection).
/// The node renews it while the connection lives; a node that dies stops renewing, and the lease lapses. A member
/// goes Offline only when no unexpired lease is left on any node.
/// </summary>
public sealed class PresenceLease : ITenantOwned
{
    private PresenceLease() { }

    public Guid TenantId { get; private set; }
    public Guid MemberId { get; private set; }
    public Guid NodeId { get; private set; }
    public DateTimeOffset RenewedAt { get; private set; }

    public static PresenceLease Take(Guid tenantId, Guid memberId, Guid nodeId, DateTimeOffset now) => new()
    {
        TenantId = tenantId,
        MemberId = memberId,
        NodeId = nodeId,
        RenewedAt = now,
    };

    public void Renew(DateTimeOffset now) => RenewedAt = now;
}
