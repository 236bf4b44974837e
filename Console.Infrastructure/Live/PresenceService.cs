using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OperatorConsole.Domain.Tenants;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Live;

/// <summary>
/// Agent presence, with the database as the truth across nodes. Each node counts its members' live connections
/// (Blazor circuits and hub connections) in memory; when a member's count goes 0→1 the node takes a
/// <see cref="PresenceLease"/> and the member comes online, when it goes back to 0 the lease is released and the
/// member goes Offline unless another node still holds one. A heartbeat renews this node's leases and the members'
/// LastSeenAt; leases of a node that died lapse, and its members are swept to Offline after the presence timeout.
/// Connection events never wait for the database: they queue the member, and one loop brings the database in line.
/// </summary>
public sealed class PresenceService(
    ContextScopes scopes,
    LiveNode node,
    TimeProvider clock,
    IOptions<LiveOptions> options,
    ILogger<PresenceService> log) : BackgroundService
{
    private readonly Dictionary<MemberKey, int> _connections = [];
    private readonly Lock _lock = new();
    private readonly Channel<MemberKey> _changed = Channel.CreateUnbounded<MemberKey>(new UnboundedChannelOptions { SingleReader = true });
    private readonly LiveOptions _options = options.Value;

    private readonly record struct MemberKey(Guid TenantId, Guid UserId);

    /// <summary>A connection of this user working in this tenant opened on this node.</summary>
    public void Connected(Guid tenantId, Guid userId)
    {
        var key = new MemberKey(tenantId, userId);
        lock (_lock)
        {
            var count = _connections.GetValueOrDefault(key) + 1;
            _connections[key] = count;
            if (count != 1) return;
        }
        _changed.Writer.TryWrite(key);
    }

    /// <summary>A connection opened by <see cref="Connected"/> closed.</summary>
    public void Disconnected(Guid tenantId, Guid userId)
    {
        var key = new MemberKey(tenantId, userId);
        lock (_lock)
        {
            if (!_connections.TryGetValue(key, out var count)) return;
            if (count > 1)
            {
                _connections[key] = count - 1;
                return;
            }
            _connections.Remove(key);
        }
        _changed.Writer.TryWrite(key);
    }

    /// <summary>How many live connections the member has on this node (diagnostics and tests).</summary>
    public int ConnectionsHere(Guid tenantId, Guid userId)
    {
        lock (_lock) return _connections.GetValueOrDefault(new MemberKey(tenantId, userId));
    }

    /// <summary>The member's presence as others should see it: a stale LastSeenAt means offline, whatever is stored.</summary>
    public async Task<MemberPresence> GetAsync(Guid tenantId, Guid userId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId, userId);
        var member = await work.Db.TenantMembers.AsNoTracking().SingleOrDefaultAsync(m => m.TenantId == tenantId && m.UserId == userId, ct);
        if (member is null) return MemberPresence.Offline;
        var fresh = member.LastSeenAt is { } seen && seen >= clock.GetUtcNow() - _options.PresenceTimeout;
        return fresh ? member.Presence : MemberPresence.Offline;
    }

    /// <summary>The member chooses Online or Away (the top bar's presence menu).</summary>
    public async Task ChooseAsync(Guid tenantId, Guid userId, MemberPresence presence, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId, userId);
        var member = await work.Db.TenantMembers.SingleAsync(m => m.TenantId == tenantId && m.UserId == userId, ct);
        member.ChoosePresence(presence, clock.GetUtcNow());
        await work.Db.SaveChangesAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var nextBeat = clock.GetUtcNow();
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var wait = nextBeat - clock.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    timeout.CancelAfter(wait);
                    try
                    {
                        await _changed.Reader.WaitToReadAsync(timeout.Token);
                    }
                    catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                    {
                    }
                }
                var keys = new HashSet<MemberKey>();
                while (_changed.Reader.TryRead(out var key)) keys.Add(key);
                foreach (var key in keys) await SyncAsync(key, stoppingToken);
                if (clock.GetUtcNow() >= nextBeat)
                {
                    await HeartbeatAsync(stoppingToken);
                    nextBeat = clock.GetUtcNow() + _options.Heartbeat;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The next heartbeat renews or releases every lease of this node from the in-memory counts.
                log.LogWarning(ex, "Presence update failed; the next heartbeat repairs it");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ContinueWith(_ => { }, CancellationToken.None);
            }
        }
    }

    /// <summary>Makes the database agree with this node's current count for the member (idempotent; order does not matter).</summary>
    private async Task SyncAsync(MemberKey key, CancellationToken ct)
    {
        bool connected;
        lock (_lock) connected = _connections.ContainsKey(key);
        var now = clock.GetUtcNow();
        await using var work = scopes.ForTenant(key.TenantId, key.UserId);
        var db = work.Db;
        var member = await db.TenantMembers.SingleOrDefaultAsync(m => m.TenantId == key.TenantId && m.UserId == key.UserId, ct);
        if (member is null) return; // e.g. a super admin looking at a tenant they are not a member of
        if (connected)
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO presence_leases (tenant_id, member_id, node_id, renewed_at) VALUES ({key.TenantId}, {member.Id}, {node.Id}, {now})
                ON CONFLICT (tenant_id, member_id, node_id) DO UPDATE SET renewed_at = excluded.renewed_at
                """, ct);
            member.Connected(now);
        }
        else
        {
            await db.PresenceLeases.Where(l => l.TenantId == key.TenantId && l.MemberId == member.Id && l.NodeId == node.Id).ExecuteDeleteAsync(ct);
            var cutoff = now - _options.PresenceTimeout;
            // Another node may still hold the member's connection (another tab, another device).
            if (!await db.PresenceLeases.AnyAsync(l => l.TenantId == key.TenantId && l.MemberId == member.Id && l.RenewedAt >= cutoff, ct))
                member.Disconnected();
        }
        await db.SaveChangesAsync(ct);
    }

    // {0} now, {1} this node. A member this node holds is seen now, and Online again if a sweep had marked them Offline.
    private const string RenewHeldMembersSql = $$"""
        UPDATE tenant_members SET last_seen_at = {0},
            presence = CASE WHEN presence = '{{nameof(MemberPresence.Offline)}}' THEN '{{nameof(MemberPresence.Online)}}' ELSE presence END
        WHERE id IN (SELECT member_id FROM presence_leases WHERE node_id = {1})
        """;

    // {0} the cutoff.
    private const string OfflineWhenNotRenewedSql = $$"""
        UPDATE tenant_members SET presence = '{{nameof(MemberPresence.Offline)}}'
        WHERE presence <> '{{nameof(MemberPresence.Offline)}}' AND (last_seen_at IS NULL OR last_seen_at < {0})
        """;

    /// <summary>
    /// Renews this node's leases (re-taking any a sweep removed while this node was slow), releases the ones it no
    /// longer holds, refreshes its members' LastSeenAt, then sweeps what dead nodes left behind.
    /// </summary>
    private async Task HeartbeatAsync(CancellationToken ct)
    {
        MemberKey[] held;
        lock (_lock) held = [.. _connections.Keys];
        var now = clock.GetUtcNow();
        var cutoff = now - _options.PresenceTimeout;
        var tenants = held.Select(k => k.TenantId).ToArray();
        var users = held.Select(k => k.UserId).ToArray();
        await using var work = scopes.ForSystem("presence heartbeat");
        var db = work.Db;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        if (held.Length > 0)
        {
            await db.Database.ExecuteSqlAsync($"""
                INSERT INTO presence_leases (tenant_id, member_id, node_id, renewed_at)
                SELECT m.tenant_id, m.id, {node.Id}, {now} FROM tenant_members m
                JOIN unnest({tenants}::uuid[], {users}::uuid[]) AS k(tenant_id, user_id) ON m.tenant_id = k.tenant_id AND m.user_id = k.user_id
                ON CONFLICT (tenant_id, member_id, node_id) DO UPDATE SET renewed_at = excluded.renewed_at
                """, ct);
        }
        await db.Database.ExecuteSqlAsync($"DELETE FROM presence_leases WHERE node_id = {node.Id} AND renewed_at < {now}", ct);
        await db.Database.ExecuteSqlAsync(SqlText.With(RenewHeldMembersSql, now, node.Id), ct);
        // Leases and members no live node has renewed within the timeout: their node died without cleaning up.
        await db.Database.ExecuteSqlAsync($"DELETE FROM presence_leases WHERE renewed_at < {cutoff}", ct);
        await db.Database.ExecuteSqlAsync(SqlText.With(OfflineWhenNotRenewedSql, cutoff), ct);
        await tx.CommitAsync(ct);
    }
}
