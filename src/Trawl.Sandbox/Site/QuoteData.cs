namespace Trawl.Sandbox.Site;

/// <summary>
/// The built-in authors, quote texts and tags the quotes section cycles through. Every author and text here is
/// invented for the sandbox. Some carry non-ASCII characters, an apostrophe or an ampersand, so extraction has to
/// decode both raw UTF-8 and HTML entities.
/// </summary>
internal static class QuoteData
{
    public static readonly SandboxAuthor[] Authors =
    [
        new("Ada Whitfield", "ada-whitfield", "March 3, 1851", "in Bristol, England",
            "Ada Whitfield kept lighthouse logs for forty years and wrote short essays in their margins about weather, patience and the sea."),
        new("Amélie Roux", "amelie-roux", "June 21, 1902", "in Lyon, France",
            "Amélie Roux ran a café near the Saône where printers, bakers and students argued late into the night; she wrote down the best lines."),
        new("Jürgen Falk", "jurgen-falk", "November 9, 1898", "in Leipzig, Germany",
            "Jürgen Falk repaired clocks, bound books and taught evening classes on the history of measurement."),
        new("Søren Holm", "soren-holm", "January 30, 1923", "in Aarhus, Denmark",
            "Søren Holm was a ferry pilot and amateur astronomer who published a small almanac every winter."),
        new("Kenji Mori", "kenji-mori", "April 2, 1934", "in Kyoto, Japan",
            "Kenji Mori designed gardens and wrote about the spaces between stones as carefully as the stones themselves."),
        new("José Iglesias Prado", "jose-iglesias-prado", "August 15, 1911", "in Seville, Spain",
            "José Iglesias Prado was a cartographer whose hand-drawn river maps are still used by boatmen."),
        new("Nadia Petrova", "nadia-petrova", "December 1, 1947", "in Kazan, Russia",
            "Nadia Petrova taught mathematics to children and puzzles to everybody else."),
        new("Thomas O'Reilly", "thomas-oreilly", "May 17, 1866", "in Cork, Ireland",
            "Thomas O'Reilly was a letter carrier who claimed to have walked the distance to the moon, one street at a time."),
        new("Lucía Mendes", "lucia-mendes", "September 5, 1975", "in Porto, Portugal",
            "Lucía Mendes is a librarian who catalogues forgotten pamphlets and the people who wrote them."),
        new("Henrik Dahl", "henrik-dahl", "February 11, 1889", "in Bergen, Norway",
            "Henrik Dahl built fishing boats and wrote plain-spoken verse about building fishing boats."),
        new("Grace Whitlock", "grace-whitlock", "October 28, 1958", "in Halifax, Canada",
            "Grace Whitlock is a radio operator and storyteller known for signing off every broadcast with a proverb."),
        new("Émile Fontaine", "emile-fontaine", "July 4, 1880", "in Rouen, France",
            "Émile Fontaine was a printer's apprentice who became a printer, then a publisher, then a printer again by choice."),
    ];

    /// <summary>Quote texts, each with the index of its author in <see cref="Authors"/>.</summary>
    public static readonly (string Text, int Author)[] Texts =
    [
        ("A map is only a promise that the road was there once.", 5),
        ("Curiosity is the café where every idea stops for a drink.", 1),
        ("We don’t read the sea; we listen to it until it makes sense.", 0),
        ("Patience & persistence — the two oars of every small boat.", 9),
        ("Every clock is honest once a day, and proud of it the rest.", 2),
        ("The stars are not far away; we are simply early.", 3),
        ("Leave room between the stones, or the garden cannot breathe.", 4),
        ("A good puzzle is a question that politely refuses to go away.", 6),
        ("I never lost my way; I only found several others.", 7),
        ("A library is a crowd that waits quietly for you to choose.", 8),
        ("Build the hull for the storm, and the calm will forgive you.", 9),
        ("Say less on the radio, and people lean closer to hear it.", 10),
        ("Ink dries, but a misprint lives forever — check twice.", 11),
        ("The light does not argue with the fog; it just keeps turning.", 0),
        ("Strong coffee, weak excuses: that is how the work gets done.", 1),
        ("Measure twice, because the wood remembers what you forget.", 2),
        ("Winter is the season when the sky finally has time for us.", 3),
        ("An empty path is not unfinished; it is waiting for footsteps.", 4),
        ("Rivers don’t need maps, but boatmen do, and they pay in stories.", 5),
        ("Zero is the bravest number: it stands alone and means something.", 6),
        ("Every street is a sentence, and every house a word in it.", 7),
        ("The pamphlet nobody kept is the one I most want to read.", 8),
        ("The net catches fish; the knots catch wisdom.", 9),
        ("If you can’t be clear, at least be brief — the static will do the rest.", 10),
        ("A crooked line of type still tells the truth, just slowly.", 11),
        ("Déjà vu is the mind’s way of saying: you left a bookmark here.", 1),
        ("A lighthouse keeper counts nights, not days.", 0),
        ("Curiosity is a compass whose needle points at the next question.", 6),
        ("Naïve plans and sturdy boots have crossed more mountains than maps.", 5),
        ("Write the date on everything; the future is a forgetful reader.", 2),
    ];

    public static readonly string[] Tags =
    [
        "books", "change", "courage", "curiosity", "friendship", "hope", "humor", "life", "patience", "science",
        "sea", "self-knowledge", "time", "travel", "truth", "wisdom", "work",
    ];
}
