using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using OperatorConsole.Domain.Templates;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>
/// The templates screen of the demo WhatsApp number against the fake Graph API: sync, status chips, preview, the review
/// webhook showing on refresh, a refused and an accepted submission; screenshots on desktop (es, en) and phone (es).
/// </summary>
public class TemplatesBrowserTests(LiveInboxBrowserApp live, BrowserFixture browser)
    : IClassFixture<LiveInboxBrowserApp>, IClassFixture<BrowserFixture>
{
    private const string DemoWaba = "200000000000001";

    private BrowserNodeAppFactory App => live.App;

    private async Task<IPage> SignInAsync(string returnUrl, string locale = "es-MX", int width = 1366, int height = 800)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = App.ServerAddress.ToString(), Locale = locale, ViewportSize = new ViewportSize { Width = width, Height = height },
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync($"/Account/Login?returnUrl={Uri.EscapeDataString(returnUrl)}");
        await page.GetByLabel(locale.StartsWith("es") ? "Correo electrónico" : "E-mail").FillAsync(DemoSeeder.OwnerEmail);
        await page.GetByLabel(locale.StartsWith("es") ? "Contraseña" : "Password").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = locale.StartsWith("es") ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + returnUrl);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private ILocator Row(IPage page, string name) => page.GetByTestId("template-row").Filter(new() { HasText = name });

    [Fact]
    public async Task An_owner_syncs_sees_a_review_arrive_and_submits_a_template_after_a_clear_refusal()
    {
        live.Graph.AddTemplate(DemoWaba, "recordatorio_cita", "es_MX", body: "Hola {{1}}, te recordamos tu cita del {{2}} a las {{3}}. ¿Confirmas?",
            samples: ["Ana", "jueves 12", "10:00"]);
        live.Graph.AddTemplate(DemoWaba, "bienvenida", "es_MX", category: "MARKETING", body: "¡Hola {{1}}! Gracias por escribir a Clínica Sonrisa.", samples: ["Luis"]);
        live.Graph.AddTemplate(DemoWaba, "promo_verano", "es_MX", status: "PENDING", category: "MARKETING", body: "Este verano, limpieza dental a mitad de precio.");
        var page = await SignInAsync("/channels");
        await page.GetByTestId("channel-templates").First.ClickAsync();
        await page.WaitForURLAsync("**/templates");
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Plantillas de mensajes" })).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Button, new() { Name = "Sincronizar con WhatsApp" }).ClickAsync();

        await Assertions.Expect(page.GetByTestId("template-row")).ToHaveCountAsync(3);
        await Assertions.Expect(Row(page, "promo_verano").GetByTestId("template-status")).ToHaveTextAsync("En revisión");
        await Assertions.Expect(Row(page, "recordatorio_cita").GetByTestId("template-status")).ToHaveTextAsync("Aprobada");
        await Assertions.Expect(page.GetByTestId("template-reason")).ToHaveCountAsync(0); // Meta's "NONE" is no reason
        await Row(page, "recordatorio_cita").ClickAsync();
        await Assertions.Expect(page.GetByTestId("template-preview-body")).ToHaveTextAsync("Hola Ana, te recordamos tu cita del jueves 12 a las 10:00. ¿Confirmas?");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("templates-desktop-es.png") });

        // Meta's review arrives on the WABA's webhook; the list shows it on refresh.
        var review = JsonSerializer.Serialize(new
        {
            @object = "whatsapp_business_account",
            entry = new[] { new { id = DemoWaba, changes = new[] { new { field = "message_template_status_update", value = new Dictionary<string, object>
            {
                ["event"] = "REJECTED", ["message_template_id"] = 1L, ["message_template_name"] = "promo_verano",
                ["message_template_language"] = "es_MX", ["reason"] = "PROMOTIONAL",
            } } } } },
        });
        var webhook = await new WebhookClient(new HttpClient { BaseAddress = App.ServerAddress }).PostMetaAsync("whatsapp", review);
        Assert.True(webhook.IsSuccessStatusCode);
        await Eventually.TrueAsync(async () =>
        {
            await using var work = App.Scopes.ForSystem("test");
            return await work.Db.MessageTemplates.AnyAsync(t => t.Name == "promo_verano" && t.Status == TemplateStatus.Rejected);
        }, "the review to be applied");
        await page.ReloadAsync();
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        await Assertions.Expect(Row(page, "promo_verano").GetByTestId("template-status")).ToHaveTextAsync("Rechazada");
        await Assertions.Expect(Row(page, "promo_verano").GetByTestId("template-reason")).ToHaveTextAsync("Rechazada: PROMOTIONAL");

        // A body numbered from {{2}} is refused here, in Spanish, before Meta sees it.
        await page.GetByRole(AriaRole.Button, new() { Name = "Nueva plantilla" }).ClickAsync();
        var form = page.GetByTestId("template-form");
        await form.GetByLabel("Nombre").FillAsync("cita_confirmada");
        await form.GetByLabel("Cuerpo").FillAsync("Hola {{2}}, tu cita quedó confirmada.");
        await form.GetByLabel("Ejemplo para {1}").FillAsync("Ana");
        await form.GetByRole(AriaRole.Button, new() { Name = "Enviar a aprobación" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("template-form-error")).ToContainTextAsync("Numera las variables {{1}}");
        Assert.DoesNotContain(live.Graph.Requests, r => r.Method == "POST" && r.Body?["name"]?.GetValue<string>() == "cita_confirmada");

        await form.GetByLabel("Cuerpo").FillAsync("Hola {{1}}, tu cita del {{2}} quedó confirmada.");
        await form.GetByLabel("Ejemplo para {1}").FillAsync("Ana");
        await form.GetByLabel("Ejemplo para {2}").FillAsync("jueves 12");
        await form.GetByLabel("Pie (opcional)").FillAsync("Clínica Sonrisa");
        await form.GetByRole(AriaRole.Button, new() { Name = "Respuesta rápida" }).ClickAsync();
        await form.GetByLabel("Texto del botón").FillAsync("Gracias");
        await Assertions.Expect(form.GetByTestId("template-preview-body")).ToHaveTextAsync("Hola Ana, tu cita del jueves 12 quedó confirmada.");
        // A taller window so the whole form shows without the fixed app bar scrolling over it.
        await page.SetViewportSizeAsync(1366, 1300);
        await page.EvaluateAsync("window.scrollTo(0, 0)");
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("templates-create-desktop-es.png") });
        await page.SetViewportSizeAsync(1366, 800);
        await form.GetByRole(AriaRole.Button, new() { Name = "Enviar a aprobación" }).ClickAsync();

        await Assertions.Expect(Row(page, "cita_confirmada").GetByTestId("template-status")).ToHaveTextAsync("En revisión");
        var submitted = live.Graph.Requests.Single(r => r.Method == "POST" && r.Body?["name"]?.GetValue<string>() == "cita_confirmada");
        Assert.Equal("jueves 12", submitted.Body!["components"]![0]!["example"]!["body_text"]![0]![1]!.GetValue<string>());

        var english = await SignInAsync(page.Url.Replace(App.ServerAddress.ToString().TrimEnd('/'), ""), "en-US");
        await Assertions.Expect(english.GetByRole(AriaRole.Heading, new() { Name = "Message templates" })).ToBeVisibleAsync();
        await Row(english, "recordatorio_cita").ClickAsync();
        await Assertions.Expect(Row(english, "promo_verano").GetByTestId("template-reason")).ToHaveTextAsync("Rejected: PROMOTIONAL");
        await english.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("templates-desktop-en.png") });

        var phone = await SignInAsync(page.Url.Replace(App.ServerAddress.ToString().TrimEnd('/'), ""), "es-MX", 390, 844);
        await Row(phone, "recordatorio_cita").ClickAsync();
        await Assertions.Expect(phone.GetByTestId("template-preview-body")).ToContainTextAsync("Hola Ana");
        await phone.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("templates-phone-es.png"), FullPage = true });
    }
}
