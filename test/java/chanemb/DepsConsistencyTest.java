package chanemb;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * pom.xml is the single source of dependency versions: every //DEPS line of every script must
 * name an artifact of the pom with the same version (and classifier).
 */
class DepsConsistencyTest {
    @Test
    void everyScriptDependencyMatchesThePom() throws Exception {
        Map<String, String> pom = pomDependencies(Path.of("pom.xml"));
        List<String> mismatches = new ArrayList<>();
        List<Path> scripts = scripts();

        for (Path script : scripts) {
            for (String line : Files.readAllLines(script)) {
                if (!line.startsWith("//DEPS ")) {
                    continue;
                }
                for (String coordinate : line.substring(7).trim().split("\\s+")) {
                    String[] parts = coordinate.split(":");
                    String key = parts[0] + ":" + parts[1] + (parts.length > 3 ? ":" + parts[3] : "");
                    String version = parts[2];
                    if (!version.equals(pom.get(key))) {
                        mismatches.add(script.getFileName() + ": " + coordinate + " (pom: " + pom.get(key) + ")");
                    }
                }
            }
        }

        assertThat(scripts).isNotEmpty();
        assertThat(mismatches).isEmpty();
    }

    @Test
    void detectsAVersionThatDiffers() throws Exception {
        Map<String, String> pom = pomDependencies(Path.of("pom.xml"));

        assertThat(pom).containsEntry("info.picocli:picocli", "4.7.7");
        assertThat(pom.get("info.picocli:picocli")).isNotEqualTo("4.7.6");
    }

    @Test
    void everyScriptDeclaresJavaAndSourcesTheLibrary() throws Exception {
        for (Path script : scripts()) {
            String text = Files.readString(script);
            assertThat(text).as(script.toString()).contains("//JAVA 17+").contains("//SOURCES ../lib/chanemb/*.java");
        }
    }

    static List<Path> scripts() throws Exception {
        List<Path> all = new ArrayList<>();
        for (String dir : List.of("scripts", "bench")) {
            if (Files.isDirectory(Path.of(dir))) {
                try (Stream<Path> files = Files.list(Path.of(dir))) {
                    files.filter(p -> p.toString().endsWith(".java")).sorted().forEach(all::add);
                }
            }
        }
        return all;
    }

    /** group:artifact[:classifier] to version, with ${properties} resolved. */
    static Map<String, String> pomDependencies(Path pomFile) throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pomFile.toFile());
        Map<String, String> properties = new LinkedHashMap<>();
        NodeList propertyNodes = ((Element) pom.getElementsByTagName("properties").item(0)).getChildNodes();
        for (int i = 0; i < propertyNodes.getLength(); i++) {
            if (propertyNodes.item(i) instanceof Element property) {
                properties.put(property.getTagName(), property.getTextContent().trim());
            }
        }
        Map<String, String> dependencies = new LinkedHashMap<>();
        NodeList nodes = pom.getElementsByTagName("dependency");
        for (int i = 0; i < nodes.getLength(); i++) {
            Element dependency = (Element) nodes.item(i);
            String key = text(dependency, "groupId") + ":" + text(dependency, "artifactId");
            String classifier = text(dependency, "classifier");
            if (classifier != null) {
                key += ":" + classifier;
            }
            String version = text(dependency, "version");
            if (version != null && version.startsWith("${")) {
                version = properties.get(version.substring(2, version.length() - 1));
            }
            dependencies.put(key, version);
        }
        return dependencies;
    }

    private static String text(Element parent, String tag) {
        NodeList nodes = parent.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
    }
}
