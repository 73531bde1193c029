# kubesim — the two commands a new user needs: `make run` and `make test`.
# Both install missing Debian packages first (scripts/install-deps.sh), then configure and build.

PRESET ?= $(if $(CI),ci,release)
BUILD_DIR := build
JOBS ?= $(shell nproc)
KUBESIM := $(BUILD_DIR)/bin/kubesim
QUICKSTART ?= scenarios/examples/quickstart.yaml

.PHONY: all deps configure build run test bench bench-peers asan clean help reproduce-fgd

all: build

help:
	@echo "make run          install deps, build, run the quickstart scenario"
	@echo "make test         install deps, build, run every test (ctest)"
	@echo "make bench        run the benchmarks (build/bench/results.json) and scale-5000"
	@echo "make bench-peers  compare the engine with ns-3 and SimPy on the hold model"
	@echo "make reproduce-fgd  FGD paper: 6 GPU policies x 10 seeds (build/reproduce-fgd/*.csv)"
	@echo "make asan         build and test with AddressSanitizer + UBSan (no GUI)"
	@echo "make clean        remove build directories"

deps:
	@scripts/install-deps.sh

configure: deps
	@cmake --preset $(PRESET) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	$(KUBESIM) run $(QUICKSTART) -o $(BUILD_DIR)/runs/quickstart

test: build
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	@mkdir -p $(BUILD_DIR)/bench
	$(BUILD_DIR)/bin/kubesim-bench --benchmark_out=$(BUILD_DIR)/bench/results.json \
	  --benchmark_out_format=json $(BENCH_ARGS)
	@echo "scale-5000 end to end (wall seconds, real-time factor and peak RSS in host):"
	$(KUBESIM) run scenarios/examples/scale-5000.yaml -q -o $(BUILD_DIR)/bench/scale-5000
	@python3 -c "import json; h=json.load(open('$(BUILD_DIR)/bench/scale-5000/summary.json'))['host']; print(h)"
	@echo "AIService for 24 simulated hours, request by request and fluid (docs/performance.md):"
	$(KUBESIM) run bench/scenarios/aiservice-24h.yaml -q -o $(BUILD_DIR)/bench/aiservice-24h
	@python3 -c "import json; h=json.load(open('$(BUILD_DIR)/bench/aiservice-24h/summary.json'))['host']; print(h)"
	$(KUBESIM) run bench/scenarios/aiservice-24h.yaml -q -o $(BUILD_DIR)/bench/aiservice-24h-fluid \
	  --set spec.workloads[0].mode=fluid
	@python3 -c "import json; h=json.load(open('$(BUILD_DIR)/bench/aiservice-24h-fluid/summary.json'))['host']; print(h)"

bench-peers: build
	@scripts/install-deps.sh --peers
	bench/peers/run.sh $(BUILD_DIR)

# The FGD paper's comparison (docs/experiments.md): six GPU-sharing policies, ten seeds each,
# on the openb trace inflated to 130 %. REPRODUCE_JOBS runs in parallel (default: all cores).
REPRODUCE_JOBS ?= $(JOBS)
reproduce-fgd: build
	$(KUBESIM) sweep scenarios/examples/alibaba-openb-fgd.yaml \
	  --vary spec.controlPlane.scheduler.gpuPolicy=FGD,BestFit,DotProduct,GpuPacking,GpuClustering,Random \
	  --seeds 1-10 \
	  --metric arrived=gpu.arrived_percent \
	  --metric allocation_130=gpu.at_arrived_percent.130.allocation_percent \
	  --metric unallocated_130=gpu.at_arrived_percent.130.unallocated_gpus \
	  --metric fragmentation_130=gpu.at_arrived_percent.130.fragmentation_percent \
	  --metric allocation_100=gpu.at_arrived_percent.100.allocation_percent \
	  --metric failed=gpu.failed_pods \
	  --jobs $(REPRODUCE_JOBS) -o $(BUILD_DIR)/reproduce-fgd

asan: deps
	@cmake --preset asan >/dev/null
	@cmake --build build-asan -j $(JOBS)
	cd build-asan && ctest --output-on-failure -j $(JOBS) -LE gui

clean:
	rm -rf $(BUILD_DIR) build-asan build-debug
