using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using OperatorConsole.Infrastructure.Channels.Inbound;
using OperatorConsole.Infrastructure.Options;
using OperatorConsole.Infrastructure.Tenancy;

namespace OperatorConsole.App.Webhooks;

/// <summary>
/// The ingest benchmark's ceiling: verify the signature and insert one row, through the same scope and connection
/// path as the real intake, nothing else. Mapped only when Bench:Enabled is true (never in production).
/// </summary>
public static class BenchEndpoints
{
    public static WebApplication MapBenchEndpoints(this WebApplication app)
    {
        if (!app.Configuration.GetValue("Bench:Enabled", false)) return app;
        app.MapPost("/bench/ceiling", async (HttpRequest request, ContextScopes scopes, IOptionsMonitor<MetaOptions> meta, CancellationToken ct) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, ct);
            var body = buffer.ToArray();
            if (!WebhookSignatures.IsValidMeta(body, request.Headers["X-Hub-Signature-256"], meta.CurrentValue.AppSecret)) return Results.Unauthorized();
            await using var work = scopes.ForSystem("bench ceiling");
            await work.Db.Database.ExecuteSqlAsync($"INSERT INTO bench_ceiling (id, body) VALUES ({Guid.CreateVersion7()}, {body})", ct);
            return Results.Ok();
        }).DisableAntiforgery().ExcludeFromDescription();
        // The outbound webhooks benchmark's event source: {tenantId, count} lead.created events raised in one save, through
        // the same recorder as real changes. Ingest alone cannot produce 1,000 events/s on two cores.
        app.MapPost("/bench/events", async (HttpRequest request, ContextScopes scopes, IOptionsMonitor<MetaOptions> meta, CancellationToken ct) =>
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, ct);
            var body = buffer.ToArray();
            if (!WebhookSignatures.IsValidMeta(body, request.Headers["X-Hub-Signature-256"], meta.CurrentValue.AppSecret)) return Results.Unauthorized();
            var order = System.Text.Json.JsonDocument.Parse(body).RootElement;
            var tenantId = order.GetProperty("tenantId").GetGuid();
            await using var work = scopes.ForTenant(tenantId);
            for (var i = 0; i < order.GetProperty("count").GetInt32(); i++)
                work.Db.Raise(new Domain.Revenue.LeadCreated(tenantId, Guid.CreateVersion7(), "bench"));
            await work.Db.SaveChangesAsync(ct);
            return Results.Ok();
        }).DisableAntiforgery().ExcludeFromDescription();
        return app;
    }
}
