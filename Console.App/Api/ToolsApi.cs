using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Agent.Tools;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Security;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

/// <summary>A custom tool as sent by integrators; parametersSchema is any JSON object.</summary>
public sealed record ToolRequest(string? Name, string? Description, JsonElement? ParametersSchema, string? Url, string? Method,
    Dictionary<string, string>? Headers, string? BodyTemplate, int? TimeoutSeconds, string? Mode, string? MockResponse, bool? Enabled);

/// <summary>A custom tool as the API shows it: header values are never returned, only their names.</summary>
public sealed record ToolResponse(Guid Id, string Name, string Description, JsonElement ParametersSchema, string Url, string Method,
    IReadOnlyDictionary<string, string> Headers, string? BodyTemplate, int TimeoutSeconds, string Mode, string? MockResponse, bool Enabled);

public static class ToolsApi
{
    public static RouteGroupBuilder MapToolsApi(this RouteGroupBuilder api)
    {
        var tools = api.MapGroup("/tenants/{t}/tools").WithTags("Tools");
        tools.MapGet("/", List).WithSummary("The tenant's custom webhook tools (header values masked).");
        tools.MapPost("/", Create).WithSummary("Add a custom webhook tool the agent can call.");
        tools.MapPut("/{id:guid}", Update).WithSummary("Change a custom tool; headers left out keep their stored values.");
        tools.MapDelete("/{id:guid}", Delete).WithSummary("Remove a custom tool.");
        return api;
    }

    private static ToolResponse ToResponse(AgentTool t) => new(t.Id, t.Name, t.Description, JsonDocument.Parse(t.ParametersSchema).RootElement.Clone(),
        t.Url, t.Method, t.HeaderNames.ToDictionary(n => n, _ => "***"), t.BodyTemplate, t.TimeoutSeconds, t.Mode.ToString().ToLowerInvariant(),
        t.MockResponse, t.Enabled);

    private static AgentToolSpec Spec(ToolRequest r) => new(r.Name, r.Description, r.ParametersSchema?.GetRawText(), r.Url, r.Method, r.Headers,
        r.BodyTemplate, r.TimeoutSeconds, r.Mode, r.MockResponse, r.Enabled);

    /// <summary>A parametersSchema that is not a usable JSON Schema is refused before anything is stored.</summary>
    private static ProblemHttpResult? SchemaProblem(ToolRequest body) =>
        body.ParametersSchema is { } schema && ToolSchemas.Problem(schema.GetRawText()) is { } reason
            ? ApiProblems.Of(StatusCodes.Status400BadRequest, "tool.parameters_schema_invalid", reason)
            : null;

    private static async Task<Results<Ok<List<ToolResponse>>, ProblemHttpResult>> List(string t, ClaimsPrincipal caller, ContextScopes scopes,
        CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var tools = await work.Db.AgentTools.AsNoTracking().OrderBy(x => x.Name).ToListAsync(ct);
        return TypedResults.Ok(tools.Select(ToResponse).ToList());
    }

    private static async Task<Results<Created<ToolResponse>, ProblemHttpResult>> Create(string t, ToolRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, SecretProtector protector, AgentProfiles profiles, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (SchemaProblem(body) is { } invalid) return invalid;
        profiles.Forget(tenant!.Id);
        await using var work = scopes.ForTenant(tenant!.Id);
        var tool = AgentTool.Create(tenant.Id, Spec(body), protector.Protect, clock.GetUtcNow());
        work.Db.AgentTools.Add(tool);
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            return ApiProblems.Of(StatusCodes.Status409Conflict, "tool.duplicate", tool.Name);
        }
        profiles.Forget(tenant.Id); // again after the save: a turn may have cached the old list meanwhile
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/tools/{tool.Id}", ToResponse(tool));
    }

    private static async Task<Results<Ok<ToolResponse>, ProblemHttpResult>> Update(string t, Guid id, ToolRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, SecretProtector protector, AgentProfiles profiles, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (SchemaProblem(body) is { } invalid) return invalid;
        profiles.Forget(tenant!.Id);
        await using var work = scopes.ForTenant(tenant!.Id);
        var tool = await work.Db.AgentTools.SingleOrDefaultAsync(x => x.Id == id, ct);
        if (tool is null) return ApiProblems.Of(StatusCodes.Status404NotFound, "tool.not_found");
        tool.Update(Spec(body), protector.Protect, clock.GetUtcNow());
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            return ApiProblems.Of(StatusCodes.Status409Conflict, "tool.duplicate", tool.Name);
        }
        profiles.Forget(tenant.Id);
        return TypedResults.Ok(ToResponse(tool));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        AgentProfiles profiles, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        profiles.Forget(tenant!.Id);
        await using var work = scopes.ForTenant(tenant!.Id);
        var deleted = await work.Db.AgentTools.Where(x => x.Id == id).ExecuteDeleteAsync(ct) > 0;
        profiles.Forget(tenant.Id);
        return deleted
            ? TypedResults.NoContent()
            : ApiProblems.Of(StatusCodes.Status404NotFound, "tool.not_found");
    }
}
