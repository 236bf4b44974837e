using Microsoft.Playwright;
using OperatorConsole.Domain.Channels;
using OperatorConsole.Domain.Common;
using OperatorConsole.Domain.Conversations;
using OperatorConsole.Infrastructure.Demo;
using OperatorConsole.Infrastructure.Platform;
using OperatorConsole.Tests.Support;

namespace OperatorConsole.Tests.Browser;

/// <summary>Times in the business's zone and the reader's format on every screen; every "back" link works for the role.</summary>
public class LanguageAndTimeBrowserTests(BrowserAppFactory app, BrowserFixture browser)
    : IClassFixture<BrowserAppFactory>, IClassFixture<BrowserFixture>
{
    private async Task<IPage> SignInAsync(string email, string password, string culture = "es", int width = 1366, int height = 860)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = app.ServerAddress.ToString(),
            ViewportSize = new ViewportSize { Width = width, Height = height },
            Locale = "es-MX",
        });
        var page = await context.NewPageAsync();
        await page.GotoAsync("/Account/Login");
        await page.GetByLabel("Correo electrónico").FillAsync(email);
        await page.GetByLabel("Contraseña").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "Entrar" }).ClickAsync();
        await page.WaitForURLAsync(url => !url.Contains("/Account/Login"));
        // The language is the user's own choice (the demo super admin's is English): each test picks the one it reads.
        await page.GotoAsync($"/Culture/Set?culture={culture}&returnUrl=%2F");
        return page;
    }

    private static async Task WaitForInteractiveAsync(IPage page) =>
        await page.Locator("#console-ready").WaitForAsync(new() { State = WaitForSelectorState.Attached });

    [Fact]
    public async Task Simulator_and_inbox_show_the_same_24_hour_time_in_the_business_zone_for_the_same_message()
    {
        var tenant = await app.TenantAsync("Óptica Central");
        var customerId = "52155" + Random.Shared.Next(10000000, 99999999);
        // 00:06 UTC today is 18:06 of the day before in Mexico City (the business's zone): a server-zone or 12-hour
        // rendering shows something else.
        var sentAt = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero).AddMinutes(6);
        var expected = TimeZoneInfo.ConvertTime(sentAt, TimeZoneInfo.FindSystemTimeZoneById("America/Mexico_City")).ToString("HH:mm");
        Assert.Equal("18:06", expected);
        var conversation = await app.ConversationAsync(tenant.Id, "Lucía Paredes", "¿Tienen lentes de contacto?", customerId: customerId,
            lastInboundAt: sentAt);

        var page = await SignInAsync($"{tenant.Slug}@owner.test", "Str0ng!Pass");
        await page.GotoAsync($"/inbox/{conversation.Id}");
        var inboxBubble = page.GetByTestId("message").Filter(new() { HasText = "¿Tienen lentes de contacto?" });
        await Assertions.Expect(inboxBubble).ToContainTextAsync(expected);

        await page.GotoAsync("/simulator");
        await WaitForInteractiveAsync(page);
        var idField = page.GetByLabel("Id del cliente en el canal");
        await idField.FillAsync(customerId);
        await idField.BlurAsync();
        var simulatorBubble = page.GetByTestId("sim-message").Filter(new() { HasText = "¿Tienen lentes de contacto?" });
        await Assertions.Expect(simulatorBubble).ToContainTextAsync(expected);
        await Assertions.Expect(simulatorBubble).Not.ToContainTextAsync("p. m.");
    }

    [Fact]
    public async Task A_super_admins_forbidden_page_leads_to_the_command_center_not_to_another_403()
    {
        var page = await SignInAsync(DemoSeeder.AdminEmail, DemoSeeder.Password);
        await page.GotoAsync("/inbox");
        await Assertions.Expect(page.GetByText("No tienes acceso a esta página")).ToBeVisibleAsync();
        var back = page.GetByTestId("home-link");
        await Assertions.Expect(back).ToHaveTextAsync("Volver al centro de mando");
        await back.ClickAsync();
        await page.WaitForURLAsync("**/admin");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Centro de mando" })).ToBeVisibleAsync();
        await Assertions.Expect(page.GetByText("No tienes acceso a esta página")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task A_super_admins_not_found_page_leads_to_the_command_center()
    {
        var page = await SignInAsync(DemoSeeder.AdminEmail, DemoSeeder.Password);
        await page.GotoAsync("/no-such-page");
        await Assertions.Expect(page.GetByText("Página no encontrada").First).ToBeVisibleAsync();
        await page.GetByTestId("home-link").ClickAsync();
        await page.WaitForURLAsync("**/admin");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Centro de mando" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task A_super_admin_without_a_workspace_has_no_simulator_entry_and_the_simulator_address_leads_to_the_command_center()
    {
        var page = await SignInAsync(DemoSeeder.AdminEmail, DemoSeeder.Password);
        await page.GotoAsync("/admin");
        var nav = page.GetByRole(AriaRole.Navigation, new() { Name = "Navegación principal" });
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Centro de mando" })).ToBeVisibleAsync();
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Simulador de cliente" })).ToHaveCountAsync(0);
        await Assertions.Expect(nav.GetByRole(AriaRole.Link, new() { Name = "Bandeja de entrada" })).ToHaveCountAsync(0);

        await page.GotoAsync("/simulator");
        await page.WaitForURLAsync("**/admin");
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Centro de mando" })).ToBeVisibleAsync();
    }

    [Fact]
    public async Task An_agents_forbidden_page_leads_back_to_the_inbox()
    {
        var page = await SignInAsync(DemoSeeder.AgentEmail, DemoSeeder.Password);
        await page.GotoAsync("/agent");
        var back = page.GetByTestId("home-link");
        await Assertions.Expect(back).ToHaveTextAsync("Volver a la bandeja");
        await back.ClickAsync();
        await page.WaitForURLAsync("**/inbox");
        await Assertions.Expect(page.GetByText("No tienes acceso a esta página")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_time_zone_is_picked_from_a_searchable_list_of_zones()
    {
        var tenant = await app.TenantAsync("Librería Andina");
        var page = await SignInAsync($"{tenant.Slug}@owner.test", "Str0ng!Pass");
        await page.GotoAsync("/agent");
        await WaitForInteractiveAsync(page);
        var picker = page.GetByLabel("Zona horaria", new() { Exact = true });
        await Assertions.Expect(picker).ToHaveValueAsync(new System.Text.RegularExpressions.Regex(@"^\(UTC-06:00\) Mexico City · America/Mexico_City$"));
        await picker.ClickAsync();
        await picker.FillAsync("bogo");
        var option = page.Locator(".mud-popover-open").GetByText("(UTC-05:00) Bogota · America/Bogota");
        await Assertions.Expect(option).ToBeVisibleAsync();
        await option.ClickAsync();
        await Assertions.Expect(picker).ToHaveValueAsync("(UTC-05:00) Bogota · America/Bogota");
    }

    [Theory]
    [Trait("Category", "Screenshots")]
    [InlineData("es", 1366, 860, "desktop")]
    [InlineData("en", 1366, 860, "desktop")]
    [InlineData("es", 390, 844, "phone")]
    [InlineData("en", 390, 844, "phone")]
    public async Task Screenshots_of_the_command_center_and_the_time_zone_picker(string culture, int width, int height, string device)
    {
        var admin = await SignInAsync(DemoSeeder.AdminEmail, DemoSeeder.Password, culture, width, height);
        await admin.GotoAsync("/admin/tenants");
        // After the circuit starts: the interactive render loads the page again (a progress bar) after the prerendered one.
        await WaitForInteractiveAsync(admin);
        await Assertions.Expect(admin.GetByText("demo-spa").First).ToBeVisibleAsync();
        await admin.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"admin-{device}-{culture}.png"), FullPage = true });

        var owner = await SignInAsync(DemoSeeder.OwnerEmail, DemoSeeder.Password, culture, width, height);
        await owner.GotoAsync("/agent");
        await WaitForInteractiveAsync(owner);
        var picker = owner.GetByLabel(culture == "es" ? "Zona horaria" : "Time zone", new() { Exact = true });
        await picker.ClickAsync();
        await picker.FillAsync("america b");
        await Assertions.Expect(owner.Locator(".mud-popover-open").GetByText("America/Bogota", new() { Exact = false })).ToBeVisibleAsync();
        await owner.ScreenshotAsync(new() { Path = BrowserFixture.ScreenshotPath($"time-zone-picker-{device}-{culture}.png") });
    }

    [Fact]
    public async Task Stored_agent_errors_bookings_and_platform_events_read_in_the_readers_language()
    {
        var tenant = await app.TenantAsync("Dental Sonrisa");
        var conversation = await app.ConversationAsync(tenant.Id, "Marta Ruiz", "¿Tienen cita el jueves?");
        // 15:30 UTC is 09:30 in Mexico City, the business's zone.
        var start = new DateTimeOffset(DateTime.UtcNow.Date.AddDays(3), TimeSpan.Zero).AddHours(15).AddMinutes(30);
        await using (var work = app.Scopes.ForTenant(tenant.Id))
        {
            work.Db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.AgentError, null,
                "Reply not sent: The 24-hour window is closed",
                TextRefs.Serialize(new TextRef("AgentError.NotSent", "Reply not sent: The 24-hour window is closed",
                    TextRef.Word(TextRefs.WindowClosedKey(ChannelKind.WhatsApp)))), DateTimeOffset.UtcNow));
            work.Db.ConversationEvents.Add(ConversationEvent.Record(conversation, ConversationEventType.AppointmentBooked, null,
                "Appointment booked by the agent", $$"""{"start":"{{start:O}}"}""", DateTimeOffset.UtcNow));
            await work.Db.SaveChangesAsync();
        }

        var owner = await SignInAsync($"{tenant.Slug}@owner.test", "Str0ng!Pass");
        await owner.GotoAsync($"/inbox/{conversation.Id}");
        var events = owner.GetByTestId("event");
        await Assertions.Expect(events.Filter(new() { HasText = "Error del agente: respuesta no enviada: La ventana de 24 horas está cerrada; envía una plantilla." }))
            .ToHaveCountAsync(1);
        await Assertions.Expect(events.Filter(new() { HasText = "El agente agendó una cita para el" }).Filter(new() { HasText = "09:30" }))
            .ToHaveCountAsync(1);
        await Assertions.Expect(events.Filter(new() { HasText = "Reply not sent" })).ToHaveCountAsync(0);

        // Creating the workspace wrote a platform event; the super admin reads it in Spanish.
        var admin = await SignInAsync(DemoSeeder.AdminEmail, DemoSeeder.Password);
        await admin.GotoAsync($"/admin/events?q={tenant.Slug}");
        await WaitForInteractiveAsync(admin);
        await Assertions.Expect(admin.GetByText($"Espacio de trabajo '{tenant.Slug}' creado")).ToBeVisibleAsync();
        await Assertions.Expect(admin.GetByText($"Tenant '{tenant.Slug}' created")).ToHaveCountAsync(0);
    }
}
