defmodule Weatherstation.BME280Test do
  @moduledoc "The datasheet's compensation, checked against its own worked example."
  use ExUnit.Case, async: true
  alias Weatherstation.BME280

  # BMP280 datasheet, section 3.12 (same formulas and T/P words as the BME280).
  @calib %{
    t1: 27504,
    t2: 26435,
    t3: -1000,
    p1: 36477,
    p2: -10685,
    p3: 3024,
    p4: 2855,
    p5: 140,
    p6: -7,
    p7: 15500,
    p8: -14600,
    p9: 6000
  }

  test "temperature: adc_T 519888 is 25.08 °C, t_fine 128422" do
    assert BME280.temperature(519_888, @calib) == {128_422, 2508}
  end

  test "pressure: adc_P 415148 at t_fine 128422 is 100653 Pa" do
    assert div(BME280.pressure(415_148, 128_422, @calib), 256) in 100_653..100_654
  end

  test "calibration unpacks dig_H4/dig_H5 from their shared nibbles" do
    tp = :binary.copy(<<0>>, 25) <> <<75>>
    h = <<0x6A, 0x01, 0x00, 0x13, 0x25, 0x03, 0x1E>>
    c = BME280.calibration(tp, h)
    assert {c.h1, c.h2, c.h3, c.h4, c.h5, c.h6} == {75, 362, 0, 0x135, 0x032, 30}
  end
end
