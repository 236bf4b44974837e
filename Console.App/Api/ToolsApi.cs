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
        tools.MapGet("/built-ins", GetBuiltIns).WithSummary("The built-in tools and which are switched off for this workspace.");
        tools.MapPut("/built-ins", PutBuiltIns).WithSummary("Switch built-in tools off (the list given) and every other one on.");
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

    private static ToolActor Actor(Guid tenantId, ClaimsPrincipal caller) => new(tenantId, null, caller.Identity?.Name ?? "api");

    /// <summary>A header value left out, null or the mask the API shows ("***") keeps the value stored under that name.</summary>
    private static Dictionary<string, string?>? Headers(ToolRequest body) =>
        body.Headers?.ToDictionary(h => h.Key, h => h.Value is null or "***" ? null : (string?)h.Value);

    private static async Task<Results<Created<ToolResponse>, ProblemHttpResult>> Create(string t, ToolRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, ToolCatalog catalog, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (SchemaProblem(body) is { } invalid) return invalid;
        try
        {
            var tool = await catalog.SaveAsync(Actor(tenant!.Id, caller), null, Spec(body), Headers(body), ct);
            return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/tools/{tool.Id}", ToResponse(tool));
        }
        catch (OperatorConsole.Infrastructure.Tenants.ConflictException ex)
        {
            return ApiProblems.Of(StatusCodes.Status409Conflict, ex.Code, ex.Args.ToArray());
        }
    }

    private static async Task<Results<Ok<ToolResponse>, ProblemHttpResult>> Update(string t, Guid id, ToolRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, ToolCatalog catalog, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (SchemaProblem(body) is { } invalid) return invalid;
        try
        {
            return TypedResults.Ok(ToResponse(await catalog.SaveAsync(Actor(tenant!.Id, caller), id, Spec(body), Headers(body), ct)));
        }
        catch (OperatorConsole.Domain.Common.DomainException ex) when (ex.Code == "tool.not_found")
        {
            return ApiProblems.Of(StatusCodes.Status404NotFound, "tool.not_found");
        }
        catch (OperatorConsole.Infrastructure.Tenants.ConflictException ex)
        {
            return ApiProblems.Of(StatusCodes.Status409Conflict, ex.Code, ex.Args.ToArray());
        }
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        ToolCatalog catalog, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return await catalog.DeleteAsync(Actor(tenant!.Id, caller), id, ct)
            ? TypedResults.NoContent()
            : ApiProblems.Of(StatusCodes.Status404NotFound, "tool.not_found");
    }

    private static async Task<Results<Ok<BuiltInToolsResponse>, ProblemHttpResult>> GetBuiltIns(string t, ClaimsPrincipal caller, ContextScopes scopes,
        ToolCatalog catalog, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok(new BuiltInToolsResponse(BuiltInTools.Names, await catalog.DisabledBuiltInsAsync(tenant!.Id, ct)));
    }

    private static async Task<Results<Ok<BuiltInToolsResponse>, ProblemHttpResult>> PutBuiltIns(string t, BuiltInToolsRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, ToolCatalog catalog, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        var disabled = await catalog.SetDisabledBuiltInsAsync(Actor(tenant!.Id, caller), body.DisabledBuiltIns ?? [], ct);
        return TypedResults.Ok(new BuiltInToolsResponse(BuiltInTools.Names, disabled));
    }
}

/// <summary>The built-in tools and the ones switched off for this workspace (never offered to the model).</summary>
public sealed record BuiltInToolsResponse(IReadOnlyList<string> BuiltIns, IReadOnlyList<string> DisabledBuiltIns);

/// <summary>The complete list of built-in tools to switch off; every other one is on.</summary>
public sealed record BuiltInToolsRequest(IReadOnlyList<string>? DisabledBuiltIns);
