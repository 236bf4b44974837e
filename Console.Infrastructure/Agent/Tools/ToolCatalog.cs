using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Billing;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;
using OperatorConsole.Infrastructure.Tenants;

namespace OperatorConsole.Infrastructure.Agent.Tools;

/// <summary>Who changes the agent's tools, for the workspace's audit log.</summary>
public sealed record ToolActor(Guid TenantId, Guid? UserId, string Name);

/// <summary>A header as the editor shows it: the name, and whether a value is stored (the value itself never leaves the server).</summary>
public sealed record ToolHeaderView(string Name, bool Stored);

/// <summary>What the owner's Test button shows: the server's status and answer, or why nothing was answered.</summary>
public sealed record ToolTestResult(int? Status, long Milliseconds, string Output, string? Error, ToolFailure Failure);

/// <summary>
/// The owner's side of the agent's tools (the Tools tab and the REST API): custom webhook tools and the built-in tools'
/// switches. Every change forgets the cached turn settings and writes an audit entry. Header values are write-only: the
/// editor gets their names, and a header sent back without a value keeps the one stored.
/// </summary>
public sealed class ToolCatalog(ContextScopes scopes, SecretProtector protector, CustomToolRunner runner, AgentProfiles profiles, TimeProvider clock)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public async Task<IReadOnlyList<AgentTool>> ListAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.AgentTools.AsNoTracking().OrderBy(t => t.Name).ToListAsync(ct);
    }

    /// <summary>Creates (no id) or changes a tool. In <paramref name="spec"/>'s headers a null value keeps the stored value of that name.</summary>
    public async Task<AgentTool> SaveAsync(ToolActor actor, Guid? id, AgentToolSpec spec, IReadOnlyDictionary<string, string?>? headers,
        CancellationToken ct = default)
    {
        if (ToolSchemas.Problem(spec.ParametersSchema) is { } problem)
            throw new DomainException("tool.parameters_schema_invalid", problem, problem);
        profiles.Forget(actor.TenantId);
        await using var work = scopes.ForTenant(actor.TenantId);
        var now = clock.GetUtcNow();
        AgentTool tool;
        string? before = null;
        if (id is { } existing)
        {
            tool = await work.Db.AgentTools.SingleOrDefaultAsync(t => t.Id == existing, ct)
                ?? throw new DomainException("tool.not_found", "That tool no longer exists.");
            // A downgrade keeps the tools a tenant has; switching one on again needs the plan.
            if (spec.Enabled == true && !tool.Enabled)
                await Billing.PlanGates.RequireFeatureAsync(work.Db, actor.TenantId, PlanFeature.CustomTools, ct);
            before = Snapshot(tool);
            tool.Update(spec with { Headers = MergeHeaders(tool, headers) }, protector.Protect, now);
        }
        else
        {
            await Billing.PlanGates.RequireFeatureAsync(work.Db, actor.TenantId, PlanFeature.CustomTools, ct);
            tool = AgentTool.Create(actor.TenantId, spec with { Headers = MergeHeaders(null, headers) }, protector.Protect, now);
            work.Db.AgentTools.Add(tool);
        }
        work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, id is null ? "tool.created" : "tool.updated",
            nameof(AgentTool), tool.Id.ToString(), before, Snapshot(tool), now, tool.Name));
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            throw new ConflictException("tool.duplicate", $"A tool named {tool.Name} already exists.", tool.Name);
        }
        profiles.Forget(actor.TenantId); // again after the save: a turn may have cached the old list meanwhile
        return tool;
    }

    public async Task SetEnabledAsync(ToolActor actor, Guid id, bool enabled, CancellationToken ct = default)
    {
        var tool = (await ListAsync(actor.TenantId, ct)).SingleOrDefault(t => t.Id == id)
            ?? throw new DomainException("tool.not_found", "That tool no longer exists.");
        await SaveAsync(actor, id, new AgentToolSpec(tool.Name, tool.Description, tool.ParametersSchema, tool.Url, tool.Method, null,
            tool.BodyTemplate, tool.TimeoutSeconds, tool.Mode.ToString(), tool.MockResponse, enabled), null, ct);
    }

    /// <returns>False when there was no such tool.</returns>
    public async Task<bool> DeleteAsync(ToolActor actor, Guid id, CancellationToken ct = default)
    {
        profiles.Forget(actor.TenantId);
        await using var work = scopes.ForTenant(actor.TenantId);
        var tool = await work.Db.AgentTools.SingleOrDefaultAsync(t => t.Id == id, ct);
        if (tool is null) return false;
        work.Db.AgentTools.Remove(tool);
        work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, "tool.deleted", nameof(AgentTool), id.ToString(),
            Snapshot(tool), null, clock.GetUtcNow(), tool.Name));
        await work.Db.SaveChangesAsync(ct);
        profiles.Forget(actor.TenantId);
        return true;
    }

    /// <summary>
    /// Calls the tool as the form stands (saved or not) with the owner's sample arguments, for real and through the same
    /// runner the agent uses — schema check, SSRF rules, timeout, truncation — with the sandbox's stand-in contact.
    /// </summary>
    public async Task<ToolTestResult> TestAsync(Guid tenantId, Guid? id, AgentToolSpec spec, IReadOnlyDictionary<string, string?>? headers,
        JsonElement arguments, CancellationToken ct = default)
    {
        if (ToolSchemas.Problem(spec.ParametersSchema) is { } problem)
            throw new DomainException("tool.parameters_schema_invalid", problem, problem);
        AgentTool? stored = null;
        if (id is { } existing)
        {
            await using var work = scopes.ForTenant(tenantId);
            stored = await work.Db.AgentTools.AsNoTracking().SingleOrDefaultAsync(t => t.Id == existing, ct);
        }
        // Never saved: a throwaway copy in live mode (the Test calls the server even when the agent gets the mock).
        var probe = AgentTool.Create(tenantId, spec with { Headers = MergeHeaders(stored, headers), Mode = "live", MockResponse = null },
            protector.Protect, clock.GetUtcNow());
        var outcome = await runner.RunAsync(probe, arguments, ToolCallContext.Sandbox, forceMock: false, ct);
        return new ToolTestResult(outcome.Status, (long)outcome.Duration.TotalMilliseconds, outcome.Output, outcome.Error, outcome.Failure);
    }

    /// <summary>The headers to store: a given value, or (null) the value stored under that name; names left out are removed.</summary>
    private Dictionary<string, string>? MergeHeaders(AgentTool? tool, IReadOnlyDictionary<string, string?>? headers)
    {
        if (headers is null) return null;
        var stored = tool?.ProtectedHeaders is { } sealedHeaders
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(protector.Unprotect(sealedHeaders)) ?? []
            : [];
        var merged = new Dictionary<string, string>();
        foreach (var (name, value) in headers)
        {
            var key = name.Trim();
            if (key.Length == 0) continue;
            if (value is not null) merged[key] = value;
            else if (stored.TryGetValue(key, out var kept)) merged[key] = kept;
            else throw new DomainException("tool.header_value", $"The header {key} needs a value.", key);
        }
        return merged;
    }

    // Header names only: an audit entry is read by every owner and admin, and values are often API keys.
    private static string Snapshot(AgentTool t) => JsonSerializer.Serialize(new
    {
        t.Name, t.Description, t.Url, t.Method, headers = t.HeaderNames, t.BodyTemplate, t.TimeoutSeconds,
        mode = t.Mode.ToString().ToLowerInvariant(), t.MockResponse, t.Enabled, parametersSchema = JsonDocument.Parse(t.ParametersSchema).RootElement,
    }, Json);

    public async Task<IReadOnlyList<string>> DisabledBuiltInsAsync(Guid tenantId, CancellationToken ct = default)
    {
        await using var work = scopes.ForTenant(tenantId);
        return await work.Db.Tenants.AsNoTracking().Where(t => t.Id == tenantId).Select(t => t.DisabledBuiltInTools).SingleAsync(ct);
    }

    /// <summary>Switches built-in tools; the next turn on this node (and within seconds on others) offers only the enabled ones.</summary>
    public async Task<IReadOnlyList<string>> SetDisabledBuiltInsAsync(ToolActor actor, IEnumerable<string> disabled, CancellationToken ct = default)
    {
        var wanted = disabled.Select(n => n.Trim()).ToHashSet();
        if (wanted.FirstOrDefault(n => !BuiltInTools.Names.Contains(n)) is { } unknown)
            throw new DomainException("tool.builtin_unknown", $"'{unknown}' is not a built-in tool. They are: {string.Join(", ", BuiltInTools.Names)}.",
                unknown, string.Join(", ", BuiltInTools.Names));
        await using var work = scopes.ForTenant(actor.TenantId);
        var tenant = await work.Db.Tenants.SingleAsync(t => t.Id == actor.TenantId, ct);
        var before = JsonSerializer.Serialize(new { disabled = tenant.DisabledBuiltInTools }, Json);
        var changed = false;
        foreach (var name in BuiltInTools.Names) changed |= tenant.SetBuiltInToolEnabled(name, !wanted.Contains(name));
        if (changed)
        {
            work.Db.AuditEntries.Add(AuditEntry.Change(actor.TenantId, actor.UserId, actor.Name, "tool.builtins_changed", "BuiltInTools",
                actor.TenantId.ToString(), before, JsonSerializer.Serialize(new { disabled = tenant.DisabledBuiltInTools }, Json), clock.GetUtcNow()));
            await work.Db.SaveChangesAsync(ct);
            profiles.Forget(actor.TenantId);
        }
        return tenant.DisabledBuiltInTools;
    }

    public async Task<IReadOnlyList<string>> SetBuiltInAsync(ToolActor actor, string name, bool enabled, CancellationToken ct = default)
    {
        var disabled = (await DisabledBuiltInsAsync(actor.TenantId, ct)).ToHashSet();
        if (enabled) disabled.Remove(name);
        else disabled.Add(name);
        return await SetDisabledBuiltInsAsync(actor, disabled, ct);
    }
}
