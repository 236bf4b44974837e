using System.Diagnostics;
using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Infrastructure.Identity;
using OperatorConsole.Tests.Support;
using Xunit.Abstractions;

namespace OperatorConsole.Tests.CommandCenter;

/// <summary>The command center's live dashboard, as a super admin sees it: figures that move without a reload.</summary>
public class DashboardBrowserTests(BrowserAppFactory app, BrowserFixture browser, ITestOutputHelper output)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private const string Password = "Root!Dash1";

    private async Task<string> SuperAdminAsync(string culture) => (await app.SuperAdminAsync(culture, Password)).Email;

    private async Task<(WebhookClient Hooks, string Phone)> ChannelAsync()
    {
        var tenant = await app.TenantAsync();
        var phone = ChannelData.NewExternalId();
        await app.ChannelAsync(tenant.Id, ChannelKind.WhatsApp, phone);
        return (new WebhookClient(new HttpClient { BaseAddress = app.ServerAddress }), phone);
    }

    private static async Task PostAsync(WebhookClient hooks, string phone)
    {
        var response = await hooks.PostMetaAsync("whatsapp",
            Deliveries.WhatsAppText(phone, "5215512345678", $"wamid.{Guid.NewGuid():N}", "hola", DateTimeOffset.UtcNow));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Dashboard_in_Spanish_shows_a_posted_webhook_and_its_message_without_a_reload()
    {
        var email = await SuperAdminAsync("es");
        var (hooks, phone) = await ChannelAsync();
        var page = await browser.SignInAsync(app.ServerAddress, email, Password, "/admin", "es-MX", 1366, 900);
        await Assertions.Expect(page.GetByText("Webhooks / min")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("Mensajes recibidos / min")).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Colas pendientes" })).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=node-row][data-state=up]").First).ToBeVisibleAsync();
        // The hour's count only grows (the per-minute rate also moves as the window slides).
        var webhooks = page.Locator("[data-testid=tile-webhooks] .ops-hint");
        var before = await webhooks.InnerTextAsync();
        await page.EvaluateAsync("() => window.__sameDocument = true");

        await PostAsync(hooks, phone);

        // Generous for a loaded CI machine; the latency itself is measured in the proof below.
        await Assertions.Expect(webhooks).Not.ToHaveTextAsync(before, new() { Timeout = 20_000 });
        Assert.Matches("en la última hora", await webhooks.InnerTextAsync());
        await Assertions.Expect(page.Locator("[data-testid=tile-messages-in] .ops-hint")).ToContainTextAsync("whatsapp", new() { Timeout = 20_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.__sameDocument === true"), "the page was reloaded");
    }

    /// <summary>
    /// Webhook → dashboard figure: the time from posting a signed delivery to the tile showing a new figure, five times
    /// (the issue's target: within 2 s). Written to TestResults/dashboard-latency.txt.
    /// </summary>
    [Fact]
    [Trait("Category", "Proof")]
    public async Task Dashboard_latency_from_a_webhook_to_the_figure_changing()
    {
        var email = await SuperAdminAsync("en");
        var (hooks, phone) = await ChannelAsync();
        var page = await browser.SignInAsync(app.ServerAddress, email, Password, "/admin", "en-US", 1366, 900);
        var webhooks = page.Locator("[data-testid=tile-webhooks] .ops-hint");
        await Assertions.Expect(webhooks).ToBeVisibleAsync();
        var latencies = new List<double>();
        for (var i = 0; i < 5; i++)
        {
            var before = await webhooks.InnerTextAsync();
            var watch = Stopwatch.StartNew();
            await PostAsync(hooks, phone);
            await page.WaitForFunctionAsync("([el, before]) => el.textContent.trim() !== before.trim()", new object[] { await webhooks.ElementHandleAsync(), before },
                new() { PollingInterval = 20, Timeout = 30_000 });
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }
        var line = $"webhook -> dashboard figure: {string.Join(", ", latencies.Select(l => l.ToString("0", CultureInfo.InvariantCulture)))} ms " +
                   $"(max {latencies.Max():0} ms, mean {latencies.Average():0} ms)";
        output.WriteLine(line);
        var dir = Path.Combine(App.Hosting.AppPaths.ContentRoot, "TestResults");
        Directory.CreateDirectory(dir);
        await File.WriteAllTextAsync(Path.Combine(dir, "dashboard-latency.txt"), line + Environment.NewLine);
        Assert.True(latencies.Max() < 5000, line);
    }

    [Theory]
    [Trait("Category", "Screenshots")]
    [InlineData("es", "es-MX", 1366, 900, "desktop")]
    [InlineData("es", "es-MX", 390, 844, "phone")]
    [InlineData("en", "en-US", 1366, 900, "desktop")]
    [InlineData("en", "en-US", 390, 844, "phone")]
    public async Task Dashboard_screenshots(string culture, string locale, int width, int height, string device)
    {
        var email = await SuperAdminAsync(culture);
        var (hooks, phone) = await ChannelAsync();
        for (var i = 0; i < 3; i++) await PostAsync(hooks, phone);
        var page = await browser.SignInAsync(app.ServerAddress, email, Password, "/admin", locale, width, height);
        await Assertions.Expect(page.Locator("[data-testid=node-row]").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("[data-testid=tile-webhooks] .ops-hint")).Not.ToHaveTextAsync(new System.Text.RegularExpressions.Regex("^0 "), new() { Timeout = 20_000 });
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"admin-dashboard-{device}-{culture}.png"), FullPage = true });
    }
}
