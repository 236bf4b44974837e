using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Platform;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.CommandCenter;

public sealed class TokenUsageApp() : ConsoleAppFactory(null, new Dictionary<string, string?> { ["Scheduler:Enabled"] = "false" })
{
    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock { get; } = new(DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds()));

    protected override void ConfigureWebHost(Microsoft.AspNetCore.Hosting.IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        Microsoft.AspNetCore.TestHost.WebHostBuilderExtensions.ConfigureTestServices(builder, services => services.AddSingleton<TimeProvider>(Clock));
    }
}

/// <summary>The platform's token spend: sums per tenant, model and feature match the rows, the CSV says the same, jumps raise one alert a day.</summary>
public class TokenUsageTests(TokenUsageApp app) : IClassFixture<TokenUsageApp>
{
    private DateTimeOffset Today => new(app.Clock.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);

    [Fact]
    public async Task TokenUsage_sums_per_tenant_model_and_feature_match_the_rows_and_the_csv_export_says_the_same()
    {
        var admin = await app.SuperAdminAsync();
        var a = await app.TenantAsync(TestData.Unique("Óptica Luz"));
        var b = await app.TenantAsync();
        var day0 = Today;
        await app.UsageAsync(a.Id,
            ("openai", "gpt-4o-mini", LlmFeature.Reply, 1000, 200, 0.50m, day0.AddMinutes(1)),
            ("openai", "gpt-4o-mini", LlmFeature.Reply, 10, 2, 0.01m, day0.AddMinutes(2)),
            ("openai", "gpt-4o-mini", LlmFeature.Analysis, 500, 100, 0.25m, day0.AddDays(-1).AddHours(2)),
            ("openai", "gpt-4o", LlmFeature.Copilot, 300, 300, 1.20m, day0.AddDays(-2)),
            ("openai", "whisper-1", LlmFeature.Transcription, 0, 0, 0.06m, day0.AddDays(-40)));
        await app.UsageAsync(b.Id, ("anthropic", "claude-haiku", LlmFeature.Reply, 100, 50, 2.00m, day0.AddDays(-3)));

        var spend = app.Services.GetRequiredService<TokenSpend>();
        var period = SpendPeriod.LastDays(app.Clock.GetUtcNow(), 30);
        var all = await spend.ReportAsync(admin.Id, admin.Email, period);
        var rowA = Assert.Single(all.ByTenant, l => l.Key == a.Id.ToString());
        Assert.Equal((1.96m, 2412L, 4), (rowA.Cost, rowA.Tokens, rowA.Calls)); // the 40-day-old row is outside the period
        Assert.Equal(2.00m, Assert.Single(all.ByTenant, l => l.Key == b.Id.ToString()).Cost);

        var onlyA = await spend.ReportAsync(admin.Id, admin.Email, period, a.Id);
        Assert.Equal([("gpt-4o", 1.20m), ("gpt-4o-mini", 0.76m)], onlyA.ByModel.Select(l => (l.Key, l.Cost)).ToArray());
        Assert.Equal([("Copilot", 1.20m), ("Reply", 0.51m), ("Analysis", 0.25m)], onlyA.ByFeature.Select(l => (l.Key, l.Cost)).ToArray());
        Assert.Equal(0.51m, Assert.Single(onlyA.DailyByFeature, d => d.Day == DateOnly.FromDateTime(day0.UtcDateTime)).Cost);
        Assert.Equal(1.96m, Assert.Single(onlyA.ByProvider).Cost);

        // The export: a super admin downloads it (filename with the period); a tenant's owner is refused.
        var http = await app.SignedInAsync(admin.Email, admin.Password);
        var response = await http.GetAsync($"/admin/usage/export.csv?from={period.From:yyyy-MM-dd}&to={period.To:yyyy-MM-dd}&tenant={a.Id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"token-usage-{period.From:yyyy-MM-dd}_{period.To:yyyy-MM-dd}.csv", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));
        var csv = (await response.Content.ReadAsStringAsync()).Replace("\r\n", "\n").Trim('\n').Split('\n');
        var (d0, d1, d2) = (day0.ToString("yyyy-MM-dd"), day0.AddDays(-1).ToString("yyyy-MM-dd"), day0.AddDays(-2).ToString("yyyy-MM-dd"));
        var name = (await TenantNameAsync(a.Id));
        Assert.Equal(
        [
            "day,tenant_id,tenant,provider,model,feature,input_tokens,output_tokens,cost_usd,calls",
            $"{d2},{a.Id},{name},openai,gpt-4o,Copilot,300,300,1.2,1",
            $"{d1},{a.Id},{name},openai,gpt-4o-mini,Analysis,500,100,0.25,1",
            $"{d0},{a.Id},{name},openai,gpt-4o-mini,Reply,1010,202,0.51,2",
        ], csv);

        var owner = await app.SignedInAsync($"{a.Slug}@owner.test", "Str0ng!Pass");
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.GetAsync("/admin/usage/export.csv")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await owner.GetAsync("/admin/usage")).StatusCode);
    }

    [Fact]
    public async Task TokenUsage_a_jump_in_daily_spend_raises_one_warning_per_tenant_per_day_and_the_page_marks_the_tenant()
    {
        var admin = await app.SuperAdminAsync();
        var jumped = await app.TenantAsync(TestData.Unique("Salto"));
        var small = await app.TenantAsync();
        var steady = await app.TenantAsync();
        var day0 = Today;
        var week = Enumerable.Range(1, 7).ToList();
        await app.UsageAsync(jumped.Id, week.Select(k => ("openai", "gpt-4o", LlmFeature.Reply, 100L, 100L, 1.00m, day0.AddDays(-k).AddHours(1)))
            .Append(("openai", "gpt-4o", LlmFeature.Reply, 900L, 900L, 10.00m, day0)).ToArray());
        await app.UsageAsync(small.Id, ("openai", "gpt-4o", LlmFeature.Reply, 10L, 10L, 4.00m, day0)); // above 3× its (zero) average, below US$ 5
        await app.UsageAsync(steady.Id, week.Select(k => ("openai", "gpt-4o", LlmFeature.Reply, 100L, 100L, 10.00m, day0.AddDays(-k).AddHours(1)))
            .Append(("openai", "gpt-4o", LlmFeature.Reply, 100L, 100L, 12.00m, day0)).ToArray());

        var alerts = app.Services.GetRequiredService<SpendAlerts>();
        await alerts.CheckAsync();
        await alerts.CheckAsync(); // the job runs every few minutes: still one alert today
        await using (var work = app.Scopes.ForSystem("test"))
        {
            var raised = await work.Db.SystemEvents.AsNoTracking().Where(e => e.Source == TokenSpend.AlertSource).ToListAsync();
            var alert = Assert.Single(raised, e => e.TenantId == jumped.Id);
            Assert.Equal(Severity.Warning, alert.Severity);
            Assert.Equal("SystemEvent.SpendJump", alert.MessageKey);
            Assert.Equal([jumped.Slug, "10.00", "1.00"], alert.MessageArgs);
            Assert.DoesNotContain(raised, e => e.TenantId == small.Id || e.TenantId == steady.Id);
        }

        var report = await app.Services.GetRequiredService<TokenSpend>().ReportAsync(admin.Id, admin.Email, SpendPeriod.LastDays(app.Clock.GetUtcNow(), 7));
        Assert.Contains(jumped.Id, report.AlertedToday);
        Assert.DoesNotContain(steady.Id, report.AlertedToday);
        var http = await app.SignedInAsync(admin.Email, admin.Password);
        var html = WebUtility.HtmlDecode(await http.GetStringAsync("/admin/usage"));
        Assert.Contains("data-testid=\"spend-alert\"", html);
        Assert.Contains(await TenantNameAsync(jumped.Id), html);

        // The next day the same tenant can be flagged again.
        app.Clock.Advance(TimeSpan.FromDays(1));
        await app.UsageAsync(jumped.Id, ("openai", "gpt-4o", LlmFeature.Reply, 900L, 900L, 30.00m, Today.AddMinutes(1)));
        await alerts.CheckAsync();
        await using (var work = app.Scopes.ForSystem("test"))
            Assert.Equal(2, await work.Db.SystemEvents.CountAsync(e => e.Source == TokenSpend.AlertSource && e.TenantId == jumped.Id));
    }

    private async Task<string> TenantNameAsync(Guid id)
    {
        await using var work = app.Scopes.ForSystem("test");
        return (await work.Db.Tenants.AsNoTracking().SingleAsync(t => t.Id == id)).Name;
    }
}
