using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Infrastructure.Data;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Api;

/// <summary>A product as sent by integrators: price in major units (450.00).</summary>
public sealed record ProductRequest(string? Name, string? Description, decimal? Price, string? Currency, bool? Active, string? ImageUrl = null);

public sealed record ProductResponse(Guid Id, string Name, string? Description, decimal Price, string Currency, bool Active, string? ImageUrl);

public sealed record ProductCreated(Guid Id);

/// <summary>The tenant's catalogue: the only prices <c>send_payment_link</c> charges.</summary>
public static class ProductsApi
{
    public static RouteGroupBuilder MapProductsApi(this RouteGroupBuilder api)
    {
        var products = api.MapGroup("/tenants/{t}/products").WithTags("Products");
        products.MapGet("/", List).WithSummary("The tenant's products and prices.");
        products.MapPost("/", Create).WithSummary("Add a product; the agent's payment links charge its price.");
        products.MapPut("/{id:guid}", Update).WithSummary("Change a product (fields left out keep their value).");
        products.MapDelete("/{id:guid}", Delete).WithSummary("Remove a product; links already sent keep their amount.");
        return api;
    }

    private static ProductResponse ToResponse(Product p) => new(p.Id, p.Name, p.Description, p.Price, p.Currency, p.Active, p.ImageUrl);

    private static ProblemHttpResult Duplicate(string? name) =>
        ApiProblems.Of(StatusCodes.Status409Conflict, "product.duplicate", name?.Trim());

    private static ProblemHttpResult NotFound() =>
        ApiProblems.Of(StatusCodes.Status404NotFound, "product.not_found");

    private static async Task<Results<Ok<List<ProductResponse>>, ProblemHttpResult>> List(string t, ClaimsPrincipal caller, ContextScopes scopes,
        CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var products = await work.Db.Products.AsNoTracking().OrderBy(p => p.Name).ToListAsync(ct);
        return TypedResults.Ok(products.Select(ToResponse).ToList());
    }

    private static async Task<Results<Created<ProductCreated>, ProblemHttpResult>> Create(string t, ProductRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        // A missing price is a domain error (422) like a zero one: Product.Create explains the rule.
        var product = Product.Create(tenant!.Id, body.Name, body.Description, body.Price ?? 0, body.Currency, body.Active ?? true, clock.GetUtcNow());
        product.SetImage(body.ImageUrl, clock.GetUtcNow());
        await using var work = scopes.ForTenant(tenant.Id);
        work.Db.Products.Add(product);
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            return Duplicate(body.Name);
        }
        return TypedResults.Created($"/api/v1/tenants/{tenant.Id}/products/{product.Id}", new ProductCreated(product.Id));
    }

    private static async Task<Results<Ok<ProductResponse>, ProblemHttpResult>> Update(string t, Guid id, ProductRequest body, ClaimsPrincipal caller,
        ContextScopes scopes, TimeProvider clock, CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        var product = await work.Db.Products.SingleOrDefaultAsync(p => p.Id == id, ct);
        if (product is null) return NotFound();
        product.Update(body.Name ?? product.Name, body.Description ?? product.Description, body.Price ?? product.Price, body.Currency ?? product.Currency,
            body.Active ?? product.Active, clock.GetUtcNow());
        if (body.ImageUrl is not null) product.SetImage(body.ImageUrl, clock.GetUtcNow());
        try
        {
            await work.Db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException ex) when (ex.IsUniqueViolation())
        {
            return Duplicate(body.Name);
        }
        return TypedResults.Ok(ToResponse(product));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Delete(string t, Guid id, ClaimsPrincipal caller, ContextScopes scopes,
        CancellationToken ct)
    {
        var (tenant, problem) = await TenantsApi.ResolveAsync(t, caller, scopes, ct);
        if (problem is not null) return problem;
        await using var work = scopes.ForTenant(tenant!.Id);
        return await work.Db.Products.Where(p => p.Id == id).ExecuteDeleteAsync(ct) > 0 ? TypedResults.NoContent() : NotFound();
    }
}
