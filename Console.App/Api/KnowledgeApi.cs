using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.App.Auth;
using OperatorConsole.Infrastructure.Agent.Knowledge;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record CreateKnowledgeRequest(string? Title, string? Content);
public sealed record KnowledgeCreated(Guid Id, string Title, int Chunks);
public sealed record KnowledgeQueued(Guid Id);
public sealed record AddKnowledgeUrlRequest(string? Url, string? Title);
public sealed record KnowledgeEnabledRequest(bool Enabled);

/// <summary>A document as the API shows it: status processing|ready|failed, progress 0–100, the reason when it failed.</summary>
public sealed record KnowledgeDocumentResponse(Guid Id, string Title, string Source, string? SourceName, long SizeBytes, string Status, int Progress,
    int Chunks, bool Enabled, string? FailureCode, string? Failure, DateTimeOffset CreatedAt);

public sealed record KnowledgeChunkList(IReadOnlyList<KnowledgeChunkView> Items);
public sealed record KnowledgeHit(Guid DocumentId, string Title, string Text, double Score);
public sealed record KnowledgeSearchResponse(IReadOnlyList<KnowledgeHit> Items);

public static class KnowledgeApi
{
    public static RouteGroupBuilder MapKnowledgeApi(this RouteGroupBuilder api)
    {
        var knowledge = api.MapGroup("/tenants/{t}/knowledge").WithTags("Knowledge");
        knowledge.MapGet("/", List).WithSummary("The knowledge documents the agent answers from.");
        knowledge.MapPost("/", Create).WithSummary("Add a document {title, content}; it is split into passages for retrieval.");
        knowledge.MapPost("/files", AddFile).WithSummary("Upload a .txt, .md, .pdf or .docx (multipart 'file'); read in the background (202 {id}).");
        knowledge.MapPost("/url", AddUrl).WithSummary("Add a web page {url, title?}, fetched once in the background (202 {id}).");
        knowledge.MapGet("/search", Search).WithSummary("What the agent would retrieve for a question: {items: [{documentId, title, text, score}]}.");
        knowledge.MapGet("/{id:guid}", Get).WithSummary("A document and its processing status: processing, ready or failed (with the reason).");
        knowledge.MapGet("/{id:guid}/chunks", Chunks).WithSummary("The passages a document is split into.");
        knowledge.MapPatch("/{id:guid}", SetEnabled).WithSummary("Enable or disable a document {enabled}; a disabled one is never retrieved.");
        knowledge.MapDelete("/{id:guid}", Delete).WithSummary("Remove a document and its passages.");
        return api;
    }

    private static KnowledgeActor ActorFor(ClaimsPrincipal caller) => new(caller.GetUserId(), caller.Identity?.Name ?? "api");

    public static KnowledgeDocumentResponse ToResponse(KnowledgeSummary d) =>
        new(d.Id, d.Title, d.Source.ToString().ToLowerInvariant(), d.SourceName, d.SizeBytes, d.Status.ToString().ToLowerInvariant(), d.Progress,
            d.Chunks, d.Enabled, d.FailureCode, d.Failure, d.CreatedAt);

    private static ProblemHttpResult Refused(KnowledgeRefusedException ex) =>
        ApiProblems.Of(ex.Code == "knowledge.too_large" ? StatusCodes.Status413PayloadTooLarge : StatusCodes.Status400BadRequest, ex.Code, [.. ex.Args]);

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
        var document = await work.Services.GetRequiredService<KnowledgeBase>().AddAsync(body.Title, body.Content, ct, ActorFor(caller));
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/knowledge/{document.Id}",
            new KnowledgeCreated(document.Id, document.Title, document.Chunks.Count));
    }

    private static async Task<Results<Accepted<KnowledgeQueued>, ProblemHttpResult>> AddFile(string t, HttpRequest request, ClaimsPrincipal caller,
        ContextScopes scopes, KnowledgeSources sources, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!request.HasFormContentType) return ApiProblems.Of(StatusCodes.Status400BadRequest, "knowledge.no_file");
        var form = await request.ReadFormAsync(ct);
        if (form.Files.GetFile("file") is not { } file) return ApiProblems.Of(StatusCodes.Status400BadRequest, "knowledge.no_file");
        try
        {
            if (file.Length > sources.MaxFileBytes) throw sources.TooLarge();
            await using var stream = file.OpenReadStream();
            var bytes = await sources.ReadUploadAsync(stream, ct);
            var id = await sources.AddFileAsync(tenant!.Id, file.FileName, bytes, ActorFor(caller), ct);
            return TypedResults.Accepted($"/api/v1/tenants/{t}/knowledge/{id}", new KnowledgeQueued(id));
        }
        catch (KnowledgeRefusedException ex)
        {
            return Refused(ex);
        }
    }

    private static async Task<Results<Accepted<KnowledgeQueued>, ProblemHttpResult>> AddUrl(string t, AddKnowledgeUrlRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, KnowledgeSources sources, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        try
        {
            var id = await sources.AddUrlAsync(tenant!.Id, body.Url, body.Title, ActorFor(caller), ct);
            return TypedResults.Accepted($"/api/v1/tenants/{t}/knowledge/{id}", new KnowledgeQueued(id));
        }
        catch (KnowledgeRefusedException ex)
        {
            return Refused(ex);
        }
    }

    private static async Task<Results<Ok<KnowledgeSearchResponse>, ProblemHttpResult>> Search(string t, string? q, ClaimsPrincipal caller,
        ContextScopes scopes, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var found = await work.Services.GetRequiredService<KnowledgeBase>().SearchAsync(q ?? "", KnowledgeBase.ToolPassages, ct);
        return TypedResults.Ok(new KnowledgeSearchResponse(found.Select(p => new KnowledgeHit(p.DocumentId, p.Title, p.Text, p.Rank)).ToList()));
    }

    private static async Task<Results<Ok<KnowledgeDocumentResponse>, ProblemHttpResult>> Get(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        return await work.Services.GetRequiredService<KnowledgeBase>().GetAsync(id, ct) is { } document
            ? TypedResults.Ok(ToResponse(document))
            : ApiProblems.Of(StatusCodes.Status404NotFound, "knowledge.not_found");
    }

    private static async Task<Results<Ok<KnowledgeChunkList>, ProblemHttpResult>> Chunks(string t, Guid id, ClaimsPrincipal caller,
        ContextScopes scopes, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        return await work.Services.GetRequiredService<KnowledgeBase>().ChunksAsync(id, ct) is { } chunks
            ? TypedResults.Ok(new KnowledgeChunkList(chunks))
            : ApiProblems.Of(StatusCodes.Status404NotFound, "knowledge.not_found");
    }

    private static async Task<Results<Ok<KnowledgeDocumentResponse>, ProblemHttpResult>> SetEnabled(string t, Guid id, KnowledgeEnabledRequest body,
        ClaimsPrincipal caller, ContextScopes scopes, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        return await work.Services.GetRequiredService<KnowledgeBase>().SetEnabledAsync(id, body.Enabled, ActorFor(caller), ct) is { } document
            ? TypedResults.Ok(ToResponse(document))
            : ApiProblems.Of(StatusCodes.Status404NotFound, "knowledge.not_found");
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        return await work.Services.GetRequiredService<KnowledgeBase>().DeleteAsync(id, ct, ActorFor(caller))
            ? TypedResults.NoContent()
            : ApiProblems.Of(StatusCodes.Status404NotFound, "knowledge.not_found");
    }
}
