using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Localization;
using OperatorConsole.App.Resources;
using OperatorConsole.Domain.Contacts;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Leads;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

public sealed record ImportStarted(Guid Id);

public sealed record ImportRowError(int Row, string Reason);

public sealed record ImportStatusResponse(Guid Id, string Status, int Total, int Processed, int Created, int Updated, int Skipped, int Failed,
    string? Error, IReadOnlyList<ImportRowError> Errors);

/// <summary>CSV import of leads: upload (202, runs in the background), then poll its progress.</summary>
public static class ContactImportsApi
{
    /// <summary>At most this many bad rows in a status answer; all of them are in <c>errors.csv</c>.</summary>
    private const int ErrorsShown = 1000;

    public static RouteGroupBuilder MapContactImportsApi(this RouteGroupBuilder api)
    {
        var contacts = api.MapGroup("/tenants/{t}/contacts").WithTags("Contacts");
        contacts.MapPost("/import", Start).WithSummary("Import leads from a CSV (multipart 'file', optional 'mapping' JSON {column: field}, "
                                                       + "optional 'duplicates' update|skip); runs in the background.");
        contacts.MapGet("/imports/{id:guid}", Status).WithSummary("Progress of an import and the rows it could not take.");
        contacts.MapGet("/imports/{id:guid}/errors.csv", ErrorsCsv).WithSummary("The rows an import could not take, with the reason.");
        return api;
    }

    /// <summary>The bad rows of an import, for the console's download link (signed-in members of the tenant).</summary>
    public static WebApplication MapContactImportDownloads(this WebApplication app)
    {
        app.MapGet("/leads/imports/{id:guid}/errors.csv", async (Guid id, AppDbContext db, HttpContext http, IStringLocalizer<SharedResource> L,
                CancellationToken ct) =>
            {
                if (!await db.ContactImports.AnyAsync(i => i.Id == id, ct)) return Results.NotFound();
                await WriteErrorsAsync(db, id, http, e => Describe(e, L), ct);
                return Results.Empty;
            })
            .RequireAuthorization(Auth.Policies.Member);
        return app;
    }

    public static string Describe(ContactImportError e, IStringLocalizer<SharedResource> L) =>
        UserErrors.Format(L, $"Error.{e.Code}", e.Args) ?? e.Reason;

    private static async Task WriteErrorsAsync(AppDbContext db, Guid id, HttpContext http, Func<ContactImportError, string> reason, CancellationToken ct)
    {
        http.Response.ContentType = "text/csv; charset=utf-8";
        http.Response.Headers.ContentDisposition = $"attachment; filename=\"import-errors-{id:N}.csv\"";
        await ContactImports.WriteErrorsCsvAsync(db, id, reason, http.Response.Body, ct);
    }

    private static ProblemHttpResult Refused(ImportRefusedException ex) =>
        ApiProblems.Of(StatusCodes.Status400BadRequest, ex.Code, [.. ex.Args]);

    private static async Task<Results<Accepted<ImportStarted>, ProblemHttpResult>> Start(string t, HttpRequest request, ClaimsPrincipal caller,
        ContextScopes scopes, ContactImports imports, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        if (!request.HasFormContentType) return ApiProblems.Of(StatusCodes.Status400BadRequest, "import.no_file");
        var form = await request.ReadFormAsync(ct);
        var file = form.Files.GetFile("file");
        if (file is null) return ApiProblems.Of(StatusCodes.Status400BadRequest, "import.no_file");
        Dictionary<string, string>? mapping = null;
        if (form.TryGetValue("mapping", out var mappingJson) && !string.IsNullOrWhiteSpace(mappingJson))
        {
            try
            {
                mapping = JsonSerializer.Deserialize<Dictionary<string, string>>(mappingJson.ToString());
            }
            catch (JsonException)
            {
                return ApiProblems.Of(StatusCodes.Status400BadRequest, "import.mapping");
            }
        }
        var duplicates = form.TryGetValue("duplicates", out var d) && string.Equals(d, "update", StringComparison.OrdinalIgnoreCase)
            ? DuplicatePolicy.Update : DuplicatePolicy.Skip;
        try
        {
            await using var stream = file.OpenReadStream();
            var bytes = await imports.ReadUploadAsync(stream, file.FileName, ct);
            var id = await imports.StartAsync(tenant!.Id, bytes, file.FileName, mapping, duplicates, caller.Identity?.Name ?? "api", ct);
            return TypedResults.Accepted($"/api/v1/tenants/{t}/contacts/imports/{id}", new ImportStarted(id));
        }
        catch (ImportRefusedException ex)
        {
            return Refused(ex);
        }
    }

    private static async Task<Results<Ok<ImportStatusResponse>, ProblemHttpResult>> Status(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var import = await work.Db.ContactImports.AsNoTracking().SingleOrDefaultAsync(i => i.Id == id, ct);
        if (import is null) return ApiProblems.Of(StatusCodes.Status404NotFound, "import.not_found");
        var errors = await work.Db.ContactImportErrors.AsNoTracking().Where(e => e.ImportId == id).OrderBy(e => e.Row).Take(ErrorsShown)
            .Select(e => new ImportRowError(e.Row, e.Reason)).ToListAsync(ct);
        return TypedResults.Ok(new ImportStatusResponse(import.Id, import.Status.ToString().ToLowerInvariant(), import.Total, import.Processed,
            import.Created, import.Updated, import.Skipped, import.Failed, import.Error, errors));
    }

    private static async Task<IResult> ErrorsCsv(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes, HttpContext http, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        if (!await work.Db.ContactImports.AnyAsync(i => i.Id == id, ct)) return ApiProblems.Of(StatusCodes.Status404NotFound, "import.not_found");
        await WriteErrorsAsync(work.Db, id, http, e => e.Reason, ct);
        return Results.Empty;
    }
}
