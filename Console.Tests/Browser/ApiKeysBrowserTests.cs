using System.Net;
using System.Net.Http.Headers;
using Microsoft.Playwright;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>The owner's API keys screen: a key is shown once, works, is listed by prefix only and stops working when revoked.</summary>
public class ApiKeysBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private const string Password = "Owner!Keys1";

    private async Task<HttpStatusCode> CallApiAsync(string key, Guid tenantId)
    {
        using var http = new HttpClient { BaseAddress = app.ServerAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return (await http.GetAsync($"/api/v1/tenants/{tenantId}")).StatusCode;
    }

    [Fact]
    public async Task Owner_creates_a_key_shown_once_then_revokes_it_and_the_key_stops_working()
    {
        var tenant = await app.TenantAsync(password: Password);
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = "es-MX", ViewportSize = new ViewportSize { Width = 1366, Height = 860 },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString("/settings/api-keys")}");
        await page.GetByLabel("Correo electrónico").FillAsync($"{tenant.Slug}@owner.test");
        await page.GetByLabel("Contraseña").FillAsync(Password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync("**/settings/api-keys");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByText("Todavía no hay claves de API.")).ToBeVisibleAsync();

        await page.Locator("[data-testid=key-name] input, input[data-testid=key-name]").First.FillAsync("zapier");
        await page.GetByTestId("create-key").ClickAsync();
        var shown = page.GetByTestId("issued-key-value");
        await Assertions.Expect(shown).ToContainTextAsync("csk_");
        var key = (await shown.TextContentAsync())!.Trim();
        Assert.Equal(HttpStatusCode.OK, await CallApiAsync(key, tenant.Id));

        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "zapier" });
        await Assertions.Expect(row).ToContainTextAsync(key[..12]);
        await Assertions.Expect(row).ToContainTextAsync("Escritura");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("api-keys-es.png") });

        // Shown once: after a reload only the prefix is anywhere on the page.
        await page.ReloadAsync();
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(row).ToBeVisibleAsync();
        Assert.DoesNotContain(key, await page.ContentAsync());

        await row.GetByRole(AriaRole.Button, new() { Name = "Revocar" }).ClickAsync();
        await Assertions.Expect(row).ToHaveCountAsync(0);
        Assert.Equal(HttpStatusCode.Unauthorized, await CallApiAsync(key, tenant.Id));
    }
}
