using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using OperatorConsole.Domain.Agent;
using OperatorConsole.Domain.Revenue;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Reminders;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>
/// A customer confirms an appointment from its reminder: the reminder is fired by the real scheduler, reaches the
/// simulated phone with its buttons, the tap goes back as a signed WhatsApp interactive reply, and the lead page (open
/// on a phone, in Spanish) shows the appointment confirmed without a reload.
/// </summary>
public class ReminderBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_customer_taps_Confirm_on_the_reminder_and_the_lead_page_shows_it_confirmed_live()
    {
        var simulator = await SignedInAsync(new ViewportSize { Width = 1366, Height = 860 }, "/simulator");
        var customerId = "52155" + Random.Shared.Next(10000000, 99999999);
        var idField = simulator.GetByLabel("Id del cliente en el canal");
        await idField.FillAsync(customerId);
        await idField.BlurAsync();
        await simulator.GetByPlaceholder("Mensaje como cliente").FillAsync("Hola, quiero una cita");
        await simulator.GetByRole(AriaRole.Button, new() { Name = "Enviar" }).ClickAsync();
        await Assertions.Expect(simulator.GetByTestId("sim-message").Filter(new() { HasText = "Hola, quiero una cita" })).ToBeVisibleAsync();

        // The agent's booking, as its tool makes it, with a one-minute reminder so the scheduler fires it in a moment.
        var (tenantId, contactId, conversationId) = await Eventually.GetAsync(() => CustomerAsync(customerId), c => c.ConversationId != Guid.Empty,
            "the customer's conversation");
        await app.Services.GetRequiredService<ReminderSettingsStore>().SaveAsync(tenantId, [1], null, null, null);
        var lead = await SignedInAsync(new ViewportSize { Width = 390, Height = 844 }, $"/leads/{contactId}");
        await using (var work = app.Scopes.ForTenant(tenantId))
        {
            var a = Appointment.Book(tenantId, contactId, (await app.Services.GetRequiredService<OperatorConsole.Infrastructure.Appointments.AppointmentCommands>().AvailabilityAsync(tenantId, default)).Resources.Single(r => r.IsDefault).Id, conversationId, DateTimeOffset.UtcNow.AddSeconds(70), TimeSpan.FromMinutes(30), null, null,
                null, DateTimeOffset.UtcNow);
            work.Db.Appointments.Add(a);
            work.Db.Raise(new AppointmentBooked(tenantId, a.Id, contactId, conversationId, a.StartsAt, a.EndsAt));
            await work.Db.SaveChangesAsync();
        }
        await lead.ReloadAsync();
        await lead.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        var appointment = lead.GetByTestId("lead-appointment");
        await Assertions.Expect(appointment).ToContainTextAsync("Pendiente");

        var reminder = simulator.GetByTestId("sim-message").Filter(new() { HasText = "te recordamos tu cita" });
        await Assertions.Expect(reminder).ToBeVisibleAsync(new() { Timeout = 30000 });
        await simulator.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("reminder-simulator-desktop-es.png") });
        await reminder.GetByRole(AriaRole.Button, new() { Name = "Confirmar" }).ClickAsync();

        await Assertions.Expect(simulator.GetByTestId("sim-message").Filter(new() { HasText = "está confirmada" })).ToBeVisibleAsync(new() { Timeout = 15000 });
        await Assertions.Expect(appointment).ToContainTextAsync("Confirmada", new() { Timeout = 15000 });
        await lead.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("reminder-lead-phone-es.png"), FullPage = true });
    }

    [Fact]
    public async Task An_owner_sets_the_reminders_and_their_template_in_spanish_on_a_phone()
    {
        // The other test of this class gives the demo workspace a one-minute reminder: start from the defaults.
        Guid demo;
        await using (var work = app.Scopes.ForSystem("test"))
            demo = await work.Db.Tenants.Where(t => t.Slug == DemoSeeder.TenantSlug).Select(t => t.Id).SingleAsync();
        await app.Services.GetRequiredService<ReminderSettingsStore>().SaveAsync(demo, null, null, null, null);
        await using (var work = app.Scopes.ForTenant(demo))
        {
            var whatsapp = await work.Db.Channels.SingleAsync(c => c.ExternalId == DemoSeeder.WhatsAppPhoneNumberId);
            work.Db.MessageTemplates.Add(OperatorConsole.Domain.Templates.MessageTemplate.Record(demo, whatsapp.Id, "recordatorio_cita", "es_MX",
                OperatorConsole.Domain.Templates.TemplateCategory.Utility, OperatorConsole.Domain.Templates.TemplateStatus.Approved,
                """[{"type":"BODY","text":"Hola {{1}}, tu cita es el {{2}} a las {{3}} en {{4}}.","example":{"body_text":[["Ana","jueves 12","10:00","Calle 5"]]}}]""",
                "556", null, DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }
        var page = await SignedInAsync(new ViewportSize { Width = 390, Height = 844 }, "/settings/reminders");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Recordatorios de citas" })).ToBeVisibleAsync();
        // The defaults: a day and two hours before.
        await Assertions.Expect(page.GetByTestId("reminder-row")).ToHaveCountAsync(2);
        await page.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("reminders-phone-es.png"), FullPage = true });
        // The template is picked from the approved ones (name and language together), with a preview of what the customer gets.
        await page.GetByTestId("template-select").ClickAsync();
        await page.GetByRole(AriaRole.Option, new() { Name = "recordatorio_cita · es_MX" }).ClickAsync();
        await Assertions.Expect(page.GetByTestId("template-preview-body")).ToHaveTextAsync("Hola Ana, tu cita es el jueves 12 a las 10:00 en Calle 5.");
        await page.GetByTestId("reminder-save").ClickAsync();
        await Assertions.Expect(page.GetByText("Recordatorios guardados.")).ToBeVisibleAsync();

        await using (var work = app.Scopes.ForSystem("test"))
        {
            var saved = await work.Db.ReminderSettings.AsNoTracking().SingleAsync(r => r.TenantId == demo);
            Assert.Equal(("recordatorio_cita", "es_MX"), (saved.TemplateName, saved.TemplateLanguage));
            Assert.Equal(new[] { 1440, 120 }, saved.OffsetsMinutes);
        }
        var desktop = await SignedInAsync(new ViewportSize { Width = 1366, Height = 800 }, "/settings/reminders");
        await Assertions.Expect(desktop.GetByTestId("reminder-row")).ToHaveCountAsync(2);
        await desktop.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("reminders-desktop-es.png") });
        var english = await SignedInAsync(new ViewportSize { Width = 1366, Height = 800 }, "/settings/reminders", "en-US");
        await Assertions.Expect(english.GetByRole(AriaRole.Heading, new() { Name = "Appointment reminders" })).ToBeVisibleAsync();
        await english.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath("reminders-desktop-en.png") });
    }

    private async Task<IPage> SignedInAsync(ViewportSize viewport, string path, string locale = "es-MX")
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(), Locale = locale, ViewportSize = viewport,
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login?returnUrl=" + Uri.EscapeDataString(path));
        var spanish = locale.StartsWith("es", StringComparison.Ordinal);
        await page.GetByLabel(spanish ? "Correo electrónico" : "E-mail").FillAsync(DemoSeeder.OwnerEmail);
        await page.GetByLabel(spanish ? "Contraseña" : "Password").FillAsync(DemoSeeder.Password);
        await page.GetByRole(AriaRole.Button, new() { Name = spanish ? "Entrar" : "Sign in" }).ClickAsync();
        await page.WaitForURLAsync("**" + path);
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });
        return page;
    }

    private async Task<(Guid TenantId, Guid ContactId, Guid ConversationId)> CustomerAsync(string customerId)
    {
        await using var work = app.Scopes.ForSystem("test");
        var identity = await work.Db.ContactIdentities.AsNoTracking().FirstOrDefaultAsync(i => i.Value == customerId);
        if (identity is null) return default;
        var conversation = await work.Db.Conversations.AsNoTracking().Where(c => c.ContactId == identity.ContactId).Select(c => new { c.Id, c.TenantId })
            .FirstOrDefaultAsync();
        return conversation is null ? default : (conversation.TenantId, identity.ContactId, conversation.Id);
    }
}
