using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.Infrastructure.Agent;

/// <summary>Who changes the agent: a member (name and id) or an API key (its name); recorded as a version's author and in the audit log.</summary>
public sealed record AgentActor(Guid? UserId, string Name)
{
    public static AgentActor System { get; } = new(null, "system");
}

/// <summary>A published version as the version list shows it.</summary>
public sealed record AgentVersion(int Number, DateTimeOffset PublishedAt, string? Author, bool Live, int? RestoredFrom, AgentSettings Settings);

/// <summary>
/// Reads and changes a tenant's agent profile versions. A tenant without a profile gets the default live one the
/// first time it is needed, so every tenant has an agent that behaves sensibly from its first message.
/// </summary>
public sealed class AgentProfiles(AgentBuffers buffers, ContextScopes scopes, ModelAllowlist models, TimeProvider clock, ILogger<AgentProfiles> log)
{
    private static readonly TimeSpan CacheTtl = TimeSpan.FromSeconds(10);
    private sealed record Entry(TurnSettings Settings, DateTimeOffset LoadedAt);
    private readonly ConcurrentDictionary<Guid, Entry> _live = new();
    // Bumped by Forget: a load that started before a change must not store what it read.
    private readonly ConcurrentDictionary<Guid, long> _generations = new();
    private readonly ConcurrentDictionary<Guid, byte> _refreshing = new();

    /// <summary>What every turn of a tenant reads: the live profile, its enabled webhook tools, whether it has knowledge.</summary>
    public sealed record TurnSettings(AgentProfile Profile, IReadOnlyList<AgentTool> Tools, bool HasKnowledge, IReadOnlyList<AgentFileSummary> Files);

    /// <summary>
    /// The tenant's turn settings from a short per-node cache: a change made on this node is seen at once
    /// (<see cref="Forget"/>), on other nodes within <see cref="CacheTtl"/> and one turn. Once the entry is older than
    /// that, the turn still gets it and a reload runs beside it (three reads no turn waits for, where every turn after a
    /// reload paid them before). Shared, read-only instances: never change or save them.
    /// </summary>
    public async Task<TurnSettings> GetTurnSettingsAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        if (_live.TryGetValue(tenantId, out var hit))
        {
            if (clock.GetUtcNow() - hit.LoadedAt >= CacheTtl) RefreshInBackground(tenantId);
            return hit.Settings;
        }
        return await LoadAsync(db, tenantId, ct);
    }

    /// <summary>The files the agent may send (the context's tenant), for the prompt.</summary>
    public static async Task<IReadOnlyList<AgentFileSummary>> FilesAsync(AppDbContext db, CancellationToken ct) =>
        (await db.AgentFiles.AsNoTracking().OrderBy(f => f.Name).Select(f => new { f.Name, f.Description, f.TriggerWords }).ToListAsync(ct))
        .Select(f => new AgentFileSummary(f.Name, f.Description, f.TriggerWords)).ToList();

    private async Task<TurnSettings> LoadAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        var generation = _generations.GetValueOrDefault(tenantId);
        var now = clock.GetUtcNow();
        var profile = await GetLiveAsync(db, tenantId, ct);
        db.Entry(profile).State = EntityState.Detached;
        var tools = await db.AgentTools.AsNoTracking().Where(t => t.Enabled).OrderBy(t => t.Name).ToListAsync(ct);
        var hasKnowledge = await db.KnowledgeChunks.AnyAsync(ct);
        var files = await FilesAsync(db, ct);
        var settings = new TurnSettings(profile, tools, hasKnowledge, files);
        var entry = new Entry(settings, now);
        _live[tenantId] = entry;
        // Forget bumps the generation before it removes: whichever of the two this store raced, it does not survive.
        if (_generations.GetValueOrDefault(tenantId) != generation) _live.TryRemove(KeyValuePair.Create(tenantId, entry));
        return settings;
    }

    private void RefreshInBackground(Guid tenantId)
    {
        if (!_refreshing.TryAdd(tenantId, 0)) return;
        _ = Task.Run(async () =>
        {
            try
            {
                await using var work = scopes.ForTenant(tenantId);
                await LoadAsync(work.Db, tenantId, CancellationToken.None);
            }
            catch (Exception ex)
            {
                // The stale entry goes: the next turn loads on its own path and fails there, visibly, if it must.
                log.LogWarning(ex, "Reloading the agent settings of tenant {TenantId} failed", tenantId);
                _live.TryRemove(tenantId, out _);
            }
            finally
            {
                _refreshing.TryRemove(tenantId, out _);
            }
        });
    }

    public async Task<AgentProfile> GetLiveCachedAsync(AppDbContext db, Guid tenantId, CancellationToken ct) =>
        (await GetTurnSettingsAsync(db, tenantId, ct)).Profile;

    /// <summary>Something a turn reads changed on this node (tools, knowledge, profile).</summary>
    public void Forget(Guid tenantId)
    {
        _generations.AddOrUpdate(tenantId, 1, (_, g) => g + 1);
        _live.TryRemove(tenantId, out _);
    }

    public async Task<AgentProfile> GetLiveAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        var live = await db.AgentProfiles.SingleOrDefaultAsync(p => p.TenantId == tenantId && p.State == AgentProfileState.Live, ct);
        if (live is not null) return live;
        var tenant = await db.Tenants.Where(t => t.Id == tenantId).Select(t => new { t.Name, t.TimeZone }).SingleAsync(ct);
        live = AgentProfile.CreateDefault(tenantId, tenant.Name, clock.GetUtcNow(), tenant.TimeZone);
        db.AgentProfiles.Add(live);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (DbErrors.IsUniqueViolation(ex))
        {
            // Another node created it at the same moment: use theirs.
            db.Entry(live).State = EntityState.Detached;
            live = await db.AgentProfiles.SingleAsync(p => p.TenantId == tenantId && p.State == AgentProfileState.Live, ct);
        }
        return live;
    }

    /// <summary>The draft, started from the live version when there is none yet.</summary>
    public async Task<AgentProfile> GetDraftAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        var draft = await db.AgentProfiles.SingleOrDefaultAsync(p => p.TenantId == tenantId && p.State == AgentProfileState.Draft, ct);
        if (draft is not null) return draft;
        var live = await GetLiveAsync(db, tenantId, ct);
        var last = await db.AgentProfiles.Where(p => p.TenantId == tenantId).MaxAsync(p => p.Version, ct);
        draft = live.StartDraft(last + 1, clock.GetUtcNow());
        db.AgentProfiles.Add(draft);
        await db.SaveChangesAsync(ct);
        return draft;
    }

    public async Task<AgentProfile> SaveDraftAsync(AppDbContext db, Guid tenantId, AgentSettings settings, CancellationToken ct, AgentActor? actor = null)
    {
        var draft = await GetDraftAsync(db, tenantId, ct);
        CheckModel(draft.Model, settings.Model);
        var before = Snapshot(draft.Settings);
        draft.Update(settings, clock.GetUtcNow());
        Audit(db, tenantId, actor, "agent.draft_saved", draft, before, $"draft v{draft.Version}");
        await db.SaveChangesAsync(ct);
        return draft;
    }

    /// <summary>
    /// A newly chosen model must be on the platform's allowlist. One already stored is let through unchanged (the turn
    /// falls back to the default for it anyway), so an owner can still save the rest of a profile after the list narrows.
    /// </summary>
    private void CheckModel(string? current, string? wanted)
    {
        if (string.Equals(current?.Trim(), wanted?.Trim(), StringComparison.Ordinal) || models.IsAllowed(wanted)) return;
        throw new DomainException("agent.model", models.Refusal(wanted!.Trim()), wanted.Trim(), string.Join(", ", models.Allowed));
    }

    /// <summary>Makes the draft live; the previous live version is archived. One transaction.</summary>
    public async Task<AgentProfile> PublishDraftAsync(AppDbContext db, Guid tenantId, CancellationToken ct, AgentActor? actor = null)
    {
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var draft = await db.AgentProfiles.SingleOrDefaultAsync(p => p.TenantId == tenantId && p.State == AgentProfileState.Draft, ct)
            ?? throw new DomainException("agent.no_draft", "There is no draft to publish.");
        var live = await db.AgentProfiles.SingleOrDefaultAsync(p => p.TenantId == tenantId && p.State == AgentProfileState.Live, ct);
        if (live is not null)
        {
            live.Archive();
            await db.SaveChangesAsync(ct); // the unique (tenant, state) index needs the old live out of the way first
        }
        draft.Publish(clock.GetUtcNow(), actor?.Name);
        Audit(db, tenantId, actor, "agent.published", draft, live is null ? null : Snapshot(live.Settings), $"v{draft.Version} live");
        await FollowTimeZoneAsync(db, tenantId, draft, ct);
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
        buffers.Forget(tenantId);
        Forget(tenantId);
        return draft;
    }

    // The live agent's zone is the business's: every screen shows times in it, so the two never disagree.
    private static async Task FollowTimeZoneAsync(AppDbContext db, Guid tenantId, AgentProfile live, CancellationToken ct)
    {
        var tenant = await db.Tenants.SingleAsync(t => t.Id == tenantId, ct);
        if (tenant.TimeZone != live.TimeZone) tenant.SetLocale(live.TimeZone, tenant.DefaultCulture);
    }

    /// <summary>Replaces the live settings directly (the REST API): a new live version, the old one archived.</summary>
    public async Task<AgentProfile> UpdateLiveAsync(AppDbContext db, Guid tenantId, AgentSettings settings, CancellationToken ct, AgentActor? actor = null)
    {
        var live = await GetLiveAsync(db, tenantId, ct);
        CheckModel(live.Model, settings.Model);
        // An unpublished draft of the owner's stays as it is; the API changes only what customers talk to.
        var last = await db.AgentProfiles.Where(p => p.TenantId == tenantId).MaxAsync(p => p.Version, ct);
        var next = live.StartDraft(last + 1, clock.GetUtcNow());
        next.Update(settings, clock.GetUtcNow());
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        live.Archive();
        await db.SaveChangesAsync(ct);
        // The new version goes in as live; a draft row may exist, so it cannot pass through the Draft state.
        next.Publish(clock.GetUtcNow(), actor?.Name);
        db.AgentProfiles.Add(next);
        Audit(db, tenantId, actor, "agent.published", next, Snapshot(live.Settings), $"v{next.Version} live");
        await FollowTimeZoneAsync(db, tenantId, next, ct);
        await db.SaveChangesAsync(ct);
        await KeepDraftNewestAsync(db, tenantId, next.Version, ct);
        await tx.CommitAsync(ct);
        buffers.Forget(tenantId);
        Forget(tenantId);
        return next;
    }

    /// <summary>Every published version (live and archived), the newest publish first.</summary>
    public async Task<List<AgentVersion>> ListVersionsAsync(AppDbContext db, Guid tenantId, CancellationToken ct)
    {
        await GetLiveAsync(db, tenantId, ct);
        var rows = await db.AgentProfiles.AsNoTracking()
            .Where(p => p.TenantId == tenantId && p.State != AgentProfileState.Draft)
            .OrderByDescending(p => p.PublishedAt).ThenByDescending(p => p.Version).ToListAsync(ct);
        return rows.Select(p => new AgentVersion(p.Version, p.PublishedAt ?? p.CreatedAt, p.PublishedBy, p.State == AgentProfileState.Live,
            p.RestoredFrom, p.Settings)).ToList();
    }

    /// <summary>
    /// A rollback: publishes an exact copy of published version <paramref name="number"/> as the newest live version
    /// (the old live one is archived, the owner's draft is kept). One transaction, audited.
    /// </summary>
    public async Task<AgentProfile> RestoreAsync(AppDbContext db, Guid tenantId, int number, AgentActor actor, CancellationToken ct)
    {
        await GetLiveAsync(db, tenantId, ct);
        var old = await db.AgentProfiles.SingleOrDefaultAsync(p => p.TenantId == tenantId && p.Version == number, ct)
            ?? throw new DomainException("agent.version_not_found", $"There is no version {number}.", number);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var last = await db.AgentProfiles.Where(p => p.TenantId == tenantId).MaxAsync(p => p.Version, ct);
        var now = clock.GetUtcNow();
        var copy = old.CopyForRestore(last + 1, now);
        var live = await db.AgentProfiles.SingleAsync(p => p.TenantId == tenantId && p.State == AgentProfileState.Live, ct);
        var before = Snapshot(live.Settings);
        live.Archive();
        await db.SaveChangesAsync(ct);
        copy.Publish(now, actor.Name);
        db.AgentProfiles.Add(copy);
        Audit(db, tenantId, actor, "agent.restored", copy, before, $"v{number} restored as v{copy.Version}");
        await FollowTimeZoneAsync(db, tenantId, copy, ct);
        await db.SaveChangesAsync(ct);
        await KeepDraftNewestAsync(db, tenantId, copy.Version, ct);
        await tx.CommitAsync(ct);
        buffers.Forget(tenantId);
        Forget(tenantId);
        return copy;
    }

    /// <summary>
    /// After a version was published around the owner's draft, the draft moves above it (its replay results move with
    /// it: they are kept per draft number). Inside the caller's transaction.
    /// </summary>
    private async Task KeepDraftNewestAsync(AppDbContext db, Guid tenantId, int liveVersion, CancellationToken ct)
    {
        var draft = await db.AgentProfiles.SingleOrDefaultAsync(p => p.TenantId == tenantId && p.State == AgentProfileState.Draft, ct);
        if (draft is null || draft.Version > liveVersion) return;
        var was = draft.Version;
        draft.Renumber(liveVersion + 1, clock.GetUtcNow());
        await db.SaveChangesAsync(ct);
        await db.ReplayRuns.Where(r => r.TenantId == tenantId && r.DraftVersion == was)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.DraftVersion, draft.Version), ct);
    }

    private static readonly JsonSerializerOptions AuditJson = new(JsonSerializerDefaults.Web);

    private static string Snapshot(AgentSettings settings) => JsonSerializer.Serialize(settings, AuditJson);

    private void Audit(AppDbContext db, Guid tenantId, AgentActor? actor, string action, AgentProfile after, string? before, string details)
    {
        actor ??= AgentActor.System;
        db.AuditEntries.Add(AuditEntry.Change(tenantId, actor.UserId, actor.Name, action, nameof(AgentProfile), after.Id.ToString(),
            before, Snapshot(after.Settings), clock.GetUtcNow(), details));
    }
}

/// <summary>
/// Each tenant's answer buffer, cached for the webhook processors (they schedule the turn for every message). A
/// stale value is harmless: the runner checks the live buffer again before answering.
/// </summary>
public sealed class AgentBuffers(ContextScopes scopes, TimeProvider clock)
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<Guid, (TimeSpan Buffer, DateTimeOffset LoadedAt)> _cache = new();

    public async ValueTask<TimeSpan> GetAsync(Guid tenantId, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        if (_cache.TryGetValue(tenantId, out var hit) && now - hit.LoadedAt < Ttl) return hit.Buffer;
        await using var work = scopes.ForTenant(tenantId);
        var seconds = await work.Db.AgentProfiles.Where(p => p.TenantId == tenantId && p.State == AgentProfileState.Live)
            .Select(p => (int?)p.BufferSeconds).SingleOrDefaultAsync(ct);
        var buffer = seconds is { } s ? TimeSpan.FromSeconds(s) : Default;
        _cache[tenantId] = (buffer, now);
        return buffer;
    }

    public void Forget(Guid tenantId) => _cache.TryRemove(tenantId, out _);
}
