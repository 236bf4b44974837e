using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Channels;

public sealed record ConnectChannel(ChannelKind Kind, string ExternalId, string? AccountId, string? DisplayName, string AccessToken,
    string? AppSecret, string? VerifyToken);

/// <summary>One channel as the command center lists it, across tenants.</summary>
public sealed record PlatformChannel(Guid Id, Guid TenantId, string TenantName, ChannelKind Kind, string ExternalId, string DisplayName,
    ChannelStatus Status, DateTimeOffset CreatedAt);

/// <summary>Connects channels for a tenant; credentials are encrypted before they reach the entity.</summary>
public sealed class ChannelConnections(ContextScopes scopes, SecretProtector protector, ChannelOwnershipProof ownership,
    Inbound.InboxSignal signal, TimeProvider clock)
{
    /// <summary>
    /// The connect path for tenants (API, console): the token must read the account from its provider before the channel
    /// is saved, and deliveries already waiting for the account are released only after that proof.
    /// </summary>
    /// <exception cref="ChannelOwnershipException">The provider refused the token for this id (its reason is the message).</exception>
    public async Task<Channel> ConnectAsync(Guid tenantId, ConnectChannel request, string actor, CancellationToken ct = default)
    {
        var channel = NewChannel(tenantId, request); // validates the id before anything is sent to a provider
        var evidence = await ownership.ProveAsync(channel.Kind, channel.ExternalId, request.AccessToken, ct);
        return await SaveAsync(channel, actor, evidence == OwnershipEvidence.Proven ? "ownership proven" : "ownership NOT checked (loopback)", ct);
    }

    /// <summary>
    /// Saves a channel without asking its provider: only for the demo seed and tests, which create accounts that exist
    /// nowhere. Never reachable from a request.
    /// </summary>
    public Task<Channel> ConnectWithoutProofAsync(Guid tenantId, ConnectChannel request, string actor, CancellationToken ct = default) =>
        SaveAsync(NewChannel(tenantId, request), actor, "seeded without ownership proof", ct);

    /// <summary>
    /// A super admin resolves a disputed id: the channel that holds it is disconnected and its id freed (renamed to a
    /// tombstone), so the business that can prove ownership connects it. Its conversations stay with the tenant.
    /// Audited in the platform log and in the tenant's.
    /// </summary>
    public async Task ReleaseDisputedAsync(Guid channelId, Guid superAdminId, string actor, CancellationToken ct = default)
    {
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, $"release disputed channel {channelId}", ct);
        var channel = await work.Db.Channels.SingleAsync(c => c.Id == channelId, ct);
        var freedId = channel.ExternalId;
        channel.ReleaseDisputed(clock.GetUtcNow());
        work.Db.AuditEntries.Add(AuditEntry.Create(channel.TenantId, superAdminId, actor, "channel.release_disputed", nameof(Channel),
            channel.Id.ToString(), $"{channel.Kind} {freedId} released by the platform: ownership disputed", clock.GetUtcNow()));
        await work.Db.SaveChangesAsync(ct);
    }

    /// <summary>Every connected channel with its tenant, for the command center (audited platform read).</summary>
    public async Task<IReadOnlyList<PlatformChannel>> ListForPlatformAsync(Guid superAdminId, string actor, CancellationToken ct = default)
    {
        await using var work = await scopes.ForSuperAdminAsync(superAdminId, actor, "command center: channels", ct);
        return await (
            from c in work.Db.Channels.AsNoTracking()
            join t in work.Db.Tenants on c.TenantId equals t.Id
            where c.Status != ChannelStatus.Disconnected
            orderby c.ExternalId
            select new PlatformChannel(c.Id, t.Id, t.Name, c.Kind, c.ExternalId, c.DisplayName, c.Status, c.CreatedAt)).ToListAsync(ct);
    }

    private Channel NewChannel(Guid tenantId, ConnectChannel request) =>
        Channel.Connect(tenantId, request.Kind, request.ExternalId, request.AccountId, request.DisplayName,
            protector.Protect(request.AccessToken, request.AppSecret, request.VerifyToken), clock.GetUtcNow());

    private async Task<Channel> SaveAsync(Channel channel, string actor, string evidence, CancellationToken ct)
    {
        await using var work = scopes.ForTenant(channel.TenantId);
        work.Db.Channels.Add(channel);
        work.Db.AuditEntries.Add(AuditEntry.Create(channel.TenantId, null, actor, "channel.connect", nameof(Channel), channel.Id.ToString(),
            $"{channel.Kind} {channel.ExternalId} ({evidence})", clock.GetUtcNow()));
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new ConflictException("channel.taken",
                $"This {channel.Kind} account ({channel.ExternalId}) is already connected to a workspace.", channel.Kind, channel.ExternalId);
        }
        await ReleaseUnroutableAsync(channel, ct);
        return channel;
    }

    /// <summary>
    /// Deliveries that arrived for this account before anyone connected it are processed now. Only those that came in
    /// on the platform endpoint or on this tenant's own endpoint: another tenant's endpoint cannot pre-load messages
    /// into the rightful owner's inbox.
    /// </summary>
    private async Task ReleaseUnroutableAsync(Channel channel, CancellationToken ct)
    {
        await using var work = scopes.ForSystem("release unroutable webhooks");
        var source = Inbound.InboundParsers.SourceOf(channel.Kind);
        var released = await work.Db.Database.ExecuteSqlAsync(SqlText.With(ReleaseUnroutableSql, source, channel.ExternalId, channel.TenantId), ct);
        if (released > 0) signal.Notify();
    }

    // {0} source, {1} the channel's external id, {2} its tenant.
    private const string ReleaseUnroutableSql = $$"""
        UPDATE webhook_deliveries SET state = '{{nameof(DeliveryState.Pending)}}', attempts = 0, next_attempt_at = now()
        WHERE state = '{{nameof(DeliveryState.Unroutable)}}' AND source = {0} AND {1} = ANY (unroutable_ids)
          AND (route_tenant_id IS NULL OR route_tenant_id = {2})
        """;

    public static string WebhookPath(ChannelKind kind, string tenantSlug) => $"/webhooks/{kind.ToString().ToLowerInvariant()}/{tenantSlug}";
}
