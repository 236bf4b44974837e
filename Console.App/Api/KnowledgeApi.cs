using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record CreateKnowledgeRequest(string? Title, string? Content);
public sealed record KnowledgeCreated(Guid Id, string Title, int Chunks);

public static class KnowledgeApi
{
    public static RouteGroupBuilder MapKnowledgeApi(this RouteGroupBuilder api)
    {
        var knowledge = api.MapGroup("/tenants/{t}/knowledge").WithTags("Knowledge");
        knowledge.MapGet("/", List).WithSummary("The knowledge documents the agent answers from.");
        knowledge.MapPost("/", Create).WithSummary("Add a document {title, content}; it is split into passages for retrieval.");
        knowledge.MapDelete("/{id:guid}", Delete).WithSummary("Remove a document and its passages.");
        return api;
    }

    private static async Task<Results<Ok<IReadOnlyList<KnowledgeSummary>>, ProblemHttpResult>> List(string t, ClaimsPrincipal caller,
        ContextScopes scopes, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        return TypedResults.Ok(await work.Services.GetRequiredService<KnowledgeBase>().ListAsync(ct));
    }

    private static async Task<Results<Created<KnowledgeCreated>, ProblemHttpResult>> Create(string t, CreateKnowledgeRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var document = await work.Services.GetRequiredService<KnowledgeBase>().AddAsync(body.Title, body.Content, ct);
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/knowledge/{document.Id}",
            new KnowledgeCreated(document.Id, document.Title, document.Chunks.Count));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        return await work.Services.GetRequiredService<KnowledgeBase>().DeleteAsync(id, ct)
            ? TypedResults.NoContent()
            : ApiProblems.Of(StatusCodes.Status404NotFound, "knowledge.not_found");
    }
}
