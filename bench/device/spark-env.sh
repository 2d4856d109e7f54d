# Sourced by gpu-job.sh and scaling.sh. Given cpdir (the unpacked jars), flags (the project's jvm.flags),
# out, work and heap: the classpath, a SPARK_HOME whose jars/ is empty (local-cluster executors need
# one; the classpath carries Spark), loopback, and j() running LongAttn's main class.
cp=$(ls "$cpdir"/*.jar | tr '\n' ':')
mkdir -p "$work/spark-home/jars" "$work/local" "$out"
export SPARK_HOME=$work/spark-home SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_DIRS=$work/local
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
read -r -a jvm < "$flags"
j() { "$JAVA" "${jvm[@]}" -Xmx"$heap" -Dlog4j2.configurationFile=file:"$here"/conf/log4j2.properties -cp "$cp" io.longattn.job.Main "$@"; }
