package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Both message bundles hold the same keys, and every key the code uses exists. */
class MessagesTest {
    @Test
    void englishAndRussianHaveTheSameKeys() throws Exception {
        Set<String> english = keys("messages.properties");
        Set<String> russian = keys("messages_ru.properties");

        assertThat(russian).isEqualTo(english);
    }

    @Test
    void russianTextsAreTranslated() throws Exception {
        Properties english = load("messages.properties");
        Properties russian = load("messages_ru.properties");
        List<String> untranslated = new ArrayList<>();
        for (String key : english.stringPropertyNames()) {
            String en = english.getProperty(key);
            if (en.matches(".*[A-Za-z]{4,}.*") && en.equals(russian.getProperty(key)) && !key.startsWith("progress.")) {
                untranslated.add(key);
            }
        }

        assertThat(untranslated).isEmpty();
    }

    @Test
    void everyKeyUsedInCodeExists() throws Exception {
        Set<String> english = keys("messages.properties");
        Pattern usage = Pattern.compile("(?:Log\\.(?:info|warn|error)|UserException\\((?:e, |[a-z]+, )?|Messages\\.get)\\(?\"([a-z0-9_.-]+)\"");
        List<String> missing = new ArrayList<>();
        List<Path> sources = new ArrayList<>();
        for (String dir : List.of("lib", "scripts", "bench")) {
            if (Files.isDirectory(Path.of(dir))) {
                try (var walk = Files.walk(Path.of(dir))) {
                    walk.filter(p -> p.toString().endsWith(".java")).forEach(sources::add);
                }
            }
        }
        for (Path source : sources) {
            Matcher m = usage.matcher(Files.readString(source));
            while (m.find()) {
                if (!english.contains(m.group(1))) {
                    missing.add(source.getFileName() + ": " + m.group(1));
                }
            }
        }

        assertThat(sources).isNotEmpty();
        assertThat(missing).isEmpty();
    }

    @Test
    void everyMessageIsAValidPattern() throws Exception {
        for (String file : List.of("messages.properties", "messages_ru.properties")) {
            Properties messages = load(file);
            for (String key : messages.stringPropertyNames()) {
                if (key.contains("usage.") || key.contains("mixinStandardHelpOptions") || !key.contains(".")) {
                    continue;
                }
                String formatted = new java.text.MessageFormat(messages.getProperty(key)).format(new Object[] {1, 2, 3, 4, 5,
                        6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
                assertThat(formatted).as(file + ": " + key).doesNotContainPattern("\\{\\d");
            }
        }
    }

    @Test
    void languageFollowsTheRequest() {
        try {
            Messages.useLanguage("ru");
            assertThat(Messages.language()).isEqualTo("ru");
            assertThat(Messages.get("cli.see-verbose")).contains("--verbose").doesNotContain("Rerun");

            Messages.useLanguage("de");
            assertThat(Messages.language()).isEqualTo("en");
        } finally {
            Messages.useLanguage("en");
        }
    }

    private static Set<String> keys(String file) throws Exception {
        return new TreeSet<>(load(file).stringPropertyNames());
    }

    private static Properties load(String file) throws Exception {
        Properties properties = new Properties();
        try (InputStream in = Files.newInputStream(Path.of("lib/chanemb", file));
             var reader = new java.io.InputStreamReader(in, java.nio.charset.StandardCharsets.UTF_8)) {
            properties.load(reader);
        }
        return properties;
    }
}
