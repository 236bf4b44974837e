using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using OperatorConsole.Infrastructure.Agent;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record FileResponse(Guid Id, string Name, string? Description, IReadOnlyList<string> TriggerWords, string Kind, string? FileName,
    string? ContentType, long? SizeBytes, DateTimeOffset CreatedAt);

/// <summary>The files the agent may send with send_file: list, upload (multipart), delete.</summary>
public static class FilesApi
{
    public static RouteGroupBuilder MapFilesApi(this RouteGroupBuilder api)
    {
        var files = api.MapGroup("/tenants/{t}/files").WithTags("Files");
        files.MapGet("/", List).WithSummary("The files the agent may send (send_file).");
        files.MapPost("/", Upload).WithSummary("Upload a file: multipart 'file', 'name', optional 'description' and 'triggerWords' "
                                               + "(comma-separated); the type is decided from the bytes.");
        files.MapDelete("/{id:guid}", Delete).WithSummary("Remove a file; the agent can no longer send it.");
        return api;
    }

    private static FileResponse ToResponse(AgentFileView f) =>
        new(f.Id, f.Name, f.Description, f.TriggerWords, f.Kind, f.FileName, f.ContentType, f.SizeBytes, f.CreatedAt);

    private static FilesActor ActorFor(Guid tenantId, ClaimsPrincipal caller) => new(tenantId, null, caller.Identity?.Name ?? "api");

    private static async Task<Results<Ok<List<FileResponse>>, ProblemHttpResult>> List(string t, ClaimsPrincipal caller, ContextScopes scopes,
        AgentFiles files, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return TypedResults.Ok((await files.ListAsync(tenant!.Id, ct)).Select(ToResponse).ToList());
    }

    private static async Task<Results<Created<FileResponse>, ProblemHttpResult>> Upload(string t, HttpRequest request, ClaimsPrincipal caller,
        ContextScopes scopes, AgentFiles files, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!request.HasFormContentType) return ApiProblems.Of(StatusCodes.Status400BadRequest, "file.missing");
        var form = await request.ReadFormAsync(ct);
        var file = form.Files.GetFile("file");
        if (file is null) return ApiProblems.Of(StatusCodes.Status400BadRequest, "file.missing");
        var name = form["name"].ToString();
        var triggers = form["triggerWords"].ToString().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        await using var stream = file.OpenReadStream();
        var created = await files.UploadAsync(ActorFor(tenant!.Id, caller),
            new FileUpload(string.IsNullOrWhiteSpace(name) ? Path.GetFileNameWithoutExtension(file.FileName) : name, form["description"].ToString(),
                triggers, file.FileName, stream), ct);
        return TypedResults.Created($"/api/v1/tenants/{t}/files/{created.Id}", ToResponse(created));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        AgentFiles files, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        return await files.DeleteAsync(ActorFor(tenant!.Id, caller), id, ct)
            ? TypedResults.NoContent()
            : ApiProblems.Of(StatusCodes.Status404NotFound, "file.not_found");
    }
}
