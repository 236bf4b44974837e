using OperatorConsole.Domain.Common;

namespace OperatorConsole.Domain.Tenants;

/// <summary>Per-tenant roles. Owner and Admin manage the workspace; Agent works the inbox.</summary>
public enum TenantRole { Owner, Admin, Agent }

/// <summary>Whether a member can take conversations now. Only Online members are auto-assigned.</summary>
public enum MemberPresence { Offline, Online, Away }

public sealed class TenantMember : ITenantOwned
{
    private TenantMember() { }

    public Guid Id { get; private set; }
    public Guid TenantId { get; private set; }
    public Guid UserId { get; private set; }
    public TenantRole Role { get; private set; }
    public DateTimeOffset CreatedAt { get; private set; }

    /// <summary>Stored presence; trust it only while <see cref="LastSeenAt"/> is recent (a node can die without cleanup).</summary>
    public MemberPresence Presence { get; private set; }

    /// <summary>Refreshed by a heartbeat while the member has a live connection on any node.</summary>
    public DateTimeOffset? LastSeenAt { get; private set; }

    /// <summary>How many open conversations auto-assignment may give this member at once.</summary>
    public int Capacity { get; private set; } = DefaultCapacity;

    /// <summary>When auto-assignment last gave this member a conversation: the round-robin turns on it.</summary>
    public DateTimeOffset? LastAssignedAt { get; private set; }

    public const int DefaultCapacity = 10;

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

    /// <summary>True when the member may be given work now: Online and seen by a node within <paramref name="timeout"/>.</summary>
    public bool IsAvailable(DateTimeOffset now, TimeSpan timeout) =>
        Presence == MemberPresence.Online && LastSeenAt is { } seen && seen >= now - timeout;

    /// <summary>A first live connection: an offline member comes online; a member who chose Away stays away.</summary>
    public void Connected(DateTimeOffset now)
    {
        if (Presence == MemberPresence.Offline) Presence = MemberPresence.Online;
        LastSeenAt = now;
    }

    /// <summary>The last live connection on every node closed.</summary>
    public void Disconnected() => Presence = MemberPresence.Offline;

    /// <summary>The member's own choice between Online and Away; Offline is never chosen, it follows the connections.</summary>
    public void ChoosePresence(MemberPresence presence, DateTimeOffset now)
    {
        if (presence == MemberPresence.Offline)
            throw new DomainException("member.presence", "Offline follows your connections; choose Online or Away.");
        Presence = presence;
        LastSeenAt = now;
    }

    public void ChangeCapacity(int capacity)
    {
        if (capacity is < 0 or > 500) throw new DomainException("member.capacity", "Capacity is between 0 and 500 open conversations.");
        Capacity = capacity;
    }

    public void RecordAssignment(DateTimeOffset now) => LastAssignedAt = now;
}
